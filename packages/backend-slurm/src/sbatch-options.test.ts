import { SlurmOptionError } from './errors';
import {
  parseMemory,
  parseSlurmDuration,
  parseTimeLimit,
  validateExportNames,
  validateExtraOptions,
  validateJobName,
  validatePartition,
} from './sbatch-options';

function rejection(run: () => unknown): SlurmOptionError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SlurmOptionError);
    return error as SlurmOptionError;
  }
  throw new Error('expected a SlurmOptionError, nothing was thrown');
}

describe('validatePartition', () => {
  it('accepts a listed name and lists all names when rejecting', () => {
    expect(validatePartition('long', ['debug', 'long'])).toBe('long');
    const error = rejection(() => validatePartition('gpu', ['debug', 'long']));
    expect(error.code).toBe('ERR_ACME_OPTION');
    expect(error.option).toBe('options.slurm.partition');
    expect(error.message).toBe('options.slurm.partition must be one of "debug", "long", got "gpu"');
  });

  it('rejects non-strings and uses the given option name', () => {
    expect(rejection(() => validatePartition(3, ['debug'], 'options.partition')).message).toBe('options.partition must be one of "debug", got 3');
  });
});

describe('parseMemory (ACME rules: MB or GB, GB = 1000 MB)', () => {
  it.each([
    ['4GB', 4000],
    ['500MB', 500],
    ['2.5GB', 2500],
    ['12000MB', 12000],
    ['1.9MB', 1],
    [' 8 GB', 8000],
  ])('%j is %d MB', (text, mb) => {
    expect(parseMemory(text)).toBe(mb);
  });

  it('"auto" leaves the choice to the partition', () => {
    expect(parseMemory('auto')).toBeUndefined();
  });

  it.each(['invalidGB', '-110MB', '1000XB', '2x', '0MB', '0.5MB', '1e3MB', 'infGB', 'GB', '4gb', '4 G', ''])('rejects %j', (text) => {
    const error = rejection(() => parseMemory(text));
    expect(error.message).toBe(
      `options.slurm.memPerWorker must be "auto" or a memory size such as "8GB" or "12000MB" (GB = 1000 MB), got ${JSON.stringify(text)}`,
    );
  });

  it.each([4000, null, undefined, ['4GB'], { mb: 4 }])('rejects the non-string %p', (value) => {
    expect(rejection(() => parseMemory(value)).message).toMatch(/^options\.slurm\.memPerWorker must be .*, got /);
  });
});

describe('time limits', () => {
  it.each([
    ['90', 90 * 60],
    ['1:30', 90],
    ['1:30:00', 5400],
    ['2-0', 2 * 86400],
    ['2-01:30', 2 * 86400 + 3600 + 1800],
    ['1-00:00:01', 86401],
    ['UNLIMITED', Infinity],
    ['infinite', Infinity],
  ])('parseSlurmDuration(%j) = %d s', (text, seconds) => {
    expect(parseSlurmDuration(text)).toBe(seconds);
  });

  it('parseSlurmDuration returns undefined for other text', () => {
    expect(parseSlurmDuration('1:2:3:4')).toBeUndefined();
    expect(parseSlurmDuration('ten')).toBeUndefined();
  });

  it('parseTimeLimit gives whole minutes, rounding seconds up', () => {
    expect(parseTimeLimit(5)).toBe(5);
    expect(parseTimeLimit('0:30')).toBe(1);
    expect(parseTimeLimit('1:00:01')).toBe(61);
    expect(parseTimeLimit('UNLIMITED')).toBe(Infinity);
  });

  it.each([0, -1, 1.5, '0', '0:00', 'soon', '1:2:3:4', null])('parseTimeLimit rejects %p', (value) => {
    expect(rejection(() => parseTimeLimit(value)).message).toMatch(/^options\.slurm\.timeLimit must be a positive whole number of minutes, .*, got /);
  });
});

describe('job names and extra options (no header injection)', () => {
  it('accepts plain job names', () => {
    expect(validateJobName('acme_my-func.v2')).toBe('acme_my-func.v2');
  });

  it.each(['', 'a\nb', 'a;b', 'a b', '$(x)', 'x'.repeat(201), 7])('rejects the job name %p', (name) => {
    expect(rejection(() => validateJobName(name)).message).toMatch(/^options\.slurm\.jobName must be 1 to 200 characters of letters, digits and \._\+-=@:, got /);
  });

  it('accepts single-argument options', () => {
    expect(validateExtraOptions(['--constraint=fast', '-N1', '--qos=short', '--mail-user=me@example.org'])).toEqual([
      '--constraint=fast',
      '-N1',
      '--qos=short',
      '--mail-user=me@example.org',
    ]);
  });

  it.each([
    ['constraint=fast', 0],
    ['--comment=a\n#SBATCH --mem=1', 0],
    ['--comment=$(reboot)', 0],
    ['--comment=a;b', 0],
    ['--qos short', 0],
    ['-', 0],
    ['---x', 0],
  ])('rejects %j with the index in the message', (option, index) => {
    const error = rejection(() => validateExtraOptions([option]));
    expect(error.option).toBe(`options.slurm.extra[${index}]`);
    expect(error.message).toMatch(/^options\.slurm\.extra\[0\] must be one sbatch option starting with "-"/);
  });

  it('rejects options the client sets itself, abbreviated or short', () => {
    expect(rejection(() => validateExtraOptions(['--qos=a', '--output=/tmp/x'])).message).toBe(
      'options.slurm.extra[1] must not set --output, which acme-ts sets itself, got "--output=/tmp/x"',
    );
    expect(rejection(() => validateExtraOptions(['--arr=0-3'])).message).toMatch(/must not set --array/);
    expect(rejection(() => validateExtraOptions(['-pdebug'])).message).toMatch(/must not set -p,/);
    expect(rejection(() => validateExtraOptions('--qos=a')).message).toBe(
      'options.slurm.extra must be an array of sbatch options such as ["--constraint=fast"], got "--qos=a"',
    );
  });

  it('export names must be variable names', () => {
    expect(validateExportNames(['PATH', 'ACME_TS_X'])).toEqual(['PATH', 'ACME_TS_X']);
    expect(rejection(() => validateExportNames(['PATH', 'A=1'])).option).toBe('options.slurm.export[1]');
  });
});
