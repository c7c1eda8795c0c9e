/** The SLURM command wrappers' parsing and argv building, without a cluster (e2e/slurm-commands.test.ts runs them against the daemons). */
import { SlurmCommandError } from './errors';
import {
  buildSbatchArgs,
  classifyTaskEnd,
  countGpus,
  decodeWaitStatus,
  formatIndexRanges,
  parseSacctArrayLines,
  parseSbatchOutput,
  parseSqueueArrayLines,
  runSlurmCommand,
  sbatchEnvironment,
} from './slurm-commands';

describe('parsers', () => {
  it('decodes squeue exit_code wait statuses', () => {
    expect(decodeWaitStatus(0)).toEqual({ exitCode: 0, signal: null });
    expect(decodeWaitStatus(768)).toEqual({ exitCode: 3, signal: null });
    expect(decodeWaitStatus(9)).toEqual({ exitCode: null, signal: 9 });
  });

  it('reads squeue lines of one array only', () => {
    const tasks = parseSqueueArrayLines('21|21|1|FAILED|NonZeroExitCode|768|\n26|21|0|COMPLETED|None|0|\n30|30|N/A|RUNNING|None|0|\n', '21');
    expect([...tasks.keys()].sort()).toEqual([0, 1]);
    expect(tasks.get(1)).toEqual({ jobId: '21', state: 'FAILED', reason: 'NonZeroExitCode', exitCode: 3, signal: null });
  });

  it('reads sacct lines and skips pending ranges', () => {
    const tasks = parseSacctArrayLines('12_0|COMPLETED|0:0\n12_1|CANCELLED by 0|0:15\n12_[2-5]|PENDING|0:0\n', '12');
    expect(tasks).toEqual(
      new Map([
        [0, { state: 'COMPLETED', exitCode: 0, signal: null }],
        [1, { state: 'CANCELLED', exitCode: null, signal: 15 }],
      ]),
    );
  });

  it('classifies task ends', () => {
    const failed = { jobId: '1', state: 'FAILED', reason: 'JobLaunchFailure', exitCode: null, signal: 9 };
    expect(classifyTaskEnd(failed, 'slurmstepd-vm: error: StepId=22.batch exceeded memory limit (443297792 > 52428800), being killed').kind).toBe('memory');
    expect(classifyTaskEnd(failed, '').kind).toBe('signal');
    expect(classifyTaskEnd({ ...failed, reason: 'NonZeroExitCode', exitCode: 3, signal: null }).message).toBe('SLURM task FAILED: exit status 3');
    expect(classifyTaskEnd({ ...failed, state: 'TIMEOUT' }).kind).toBe('timeout');
    expect(classifyTaskEnd({ ...failed, state: 'CANCELLED' }).kind).toBe('cancelled');
    expect(classifyTaskEnd({ ...failed, state: 'COMPLETED', exitCode: 0, signal: null }).kind).toBe('completed');
  });

  it("counts the GPUs of a node's Gres", () => {
    expect(countGpus('(null)')).toBe(0);
    expect(countGpus('gpu:2')).toBe(2);
    expect(countGpus('gpu:a100:4(S:0-1),gpu:t4:1,nvme:1')).toBe(5);
    expect(countGpus('gpu')).toBe(1);
    expect(countGpus('nvme:2')).toBe(0);
  });

  it('formats index ranges', () => {
    expect(formatIndexRanges([7, 0, 1, 2, 5, 6, 2])).toBe('0-2,5-7');
    expect(formatIndexRanges([4])).toBe('4');
  });

  it('builds sbatch argv without a shell and with deliberate --export', () => {
    expect(
      buildSbatchArgs({
        script: '/x/run.sh',
        array: { indices: [3, 1, 2], throttle: 4 },
        partition: 'long',
        knownPartitions: ['debug', 'long'],
        jobName: 'acme_f',
        memMb: 4000,
        cpusPerTask: 2,
        timeLimitMinutes: 90,
        gpus: 2,
        constraint: 'avx512&ib',
        qos: 'short',
        outputPattern: '/x/%A_%a.out',
        export: ['PATH'],
        extra: ['--account=proj'],
      }),
    ).toEqual([
      '--parsable',
      '--array=1-3%4',
      '--output=/x/%A_%a.out',
      '--partition=long',
      '--job-name=acme_f',
      '--mem=4000M',
      '--cpus-per-task=2',
      '--time=90',
      '--gres=gpu:2',
      '--constraint=avx512&ib',
      '--qos=short',
      '--export=ALL',
      '--account=proj',
      '/x/run.sh',
    ]);
  });
});

describe('parseSbatchOutput', () => {
  it('reads "<id>" and "<id>;<cluster>"; anything else is ERR_SLURM_OUTPUT', () => {
    expect(parseSbatchOutput('123\n', [])).toBe('123');
    expect(parseSbatchOutput('77;acmets\n', [])).toBe('77');
    const error = (() => {
      try {
        parseSbatchOutput('', ['--quiet', '/x/task.sh']);
      } catch (e) {
        return e as SlurmCommandError;
      }
    })();
    expect(error).toBeInstanceOf(SlurmCommandError);
    expect(error).toMatchObject({ code: 'ERR_SLURM_OUTPUT', argv: ['sbatch', '--quiet', '/x/task.sh'], message: 'sbatch --parsable printed no job id: ""' });
  });
});

describe('sbatchEnvironment', () => {
  it('keeps only the named variables, PATH and SLURM_CONF, then adds values', () => {
    const parent = { PATH: '/bin', HOME: '/root', SECRET: 's', SLURM_CONF: '/etc/x.conf', SBATCH_PARTITION: 'long' };
    const request = { script: '/x', array: { first: 0, last: 0 }, outputPattern: '/x/%a', export: ['HOME'], environment: { ACME_TS_RUN: '/r' } };
    expect(sbatchEnvironment(request, parent)).toEqual({ PATH: '/bin', HOME: '/root', SLURM_CONF: '/etc/x.conf', ACME_TS_RUN: '/r' });
    expect(sbatchEnvironment({ ...request, export: 'NONE', environment: undefined }, parent)).toBeUndefined();
    expect(() => buildSbatchArgs({ ...request, export: 'NONE' })).toThrow(
      'submitArray options.environment must be undefined when export is "NONE", got an object',
    );
  });
});

describe('runSlurmCommand', () => {
  it('reports a missing program and a timeout with codes', async () => {
    await expect(runSlurmCommand('acme-ts-no-such-program', [])).rejects.toMatchObject({ code: 'ERR_SLURM_NOT_INSTALLED' });
    await expect(runSlurmCommand('sleep', ['5'], { timeoutMs: 200 })).rejects.toMatchObject({ code: 'ERR_SLURM_TIMEOUT', transient: true });
  });
});
