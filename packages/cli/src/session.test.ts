// Errors of a bad setting become usage errors (exit status 2) in the command line's words.
import { resolveSlurmOptions } from '@acme-ts/backend-slurm';
import { EXIT, UsageError } from './errors';
import { asCliError } from './session';

function thrownBy(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('nothing was thrown');
}

test('a bad SLURM setting is a usage error naming the flag, as the backend throws it', () => {
  const partitions = [{ name: 'debug', isDefault: true, state: 'UP' }];
  const error = asCliError(thrownBy(() => resolveSlurmOptions({ partition: 'gpu' }, partitions)));
  expect(error).toBeInstanceOf(UsageError);
  expect(error).toMatchObject({ exitCode: EXIT.usage, flag: '--partition', message: '--partition must be one of "debug", got "gpu"' });

  const refused = asCliError(thrownBy(() => resolveSlurmOptions({ sbatchOptions: ['--mem=4G'] }, partitions)));
  expect(refused).toMatchObject({
    exitCode: EXIT.usage,
    flag: '--sbatch-option[0]',
    message: '--sbatch-option[0] must not set --mem: acme-ts sets it from --mem-per-worker: use that instead, got "--mem=4G"',
  });
});

test('errors of a run pass through unchanged', () => {
  const failure = Object.assign(new Error('sbatch: error: x'), { code: 'ERR_SLURM_COMMAND' });
  expect(asCliError(failure)).toBe(failure);
});
