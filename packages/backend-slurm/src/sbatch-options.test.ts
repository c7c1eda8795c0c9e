import { SlurmOptionError } from './errors';
import {
  constraintFeatures,
  parseMemory,
  parseMemorySize,
  parseSlurmDuration,
  parseTimeLimit,
  validateExportNames,
  validateExtraOptions,
  validateConstraint,
  validateJobName,
  validatePartition,
  validateQosName,
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
    expect(rejection(() => validateJobName(name)).message).toMatch(
      /^options\.slurm\.jobName must be 1 to 200 characters of letters, digits and \._\+-=@:, got /,
    );
  });

  it('accepts single-argument options', () => {
    expect(validateExtraOptions(['--account=proj', '-N1', '--gres=nvme:1', '--mail-user=me@example.org'])).toEqual([
      '--account=proj',
      '-N1',
      '--gres=nvme:1',
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
    expect(rejection(() => validateExtraOptions(['--account=a', '--output=/tmp/x'])).message).toBe(
      'options.slurm.extra[1] must not set --output: acme-ts writes task logs to <outputDir>/slurm_logs and reads them to explain failures, got "--output=/tmp/x"',
    );
    expect(rejection(() => validateExtraOptions(['--arr=0-3'])).message).toMatch(/must not set --array: acme-ts sets it from options\.slurm\.nWorkers/);
    expect(rejection(() => validateExtraOptions(['-pdebug'])).message).toMatch(/must not set -p: acme-ts sets it from options\.slurm\.partition/);
    expect(rejection(() => validateExtraOptions('--account=a')).message).toBe(
      'options.slurm.extra must be an array of sbatch options such as ["--account=proj"], got "--account=a"',
    );
  });

  it.each([
    ['--mem=10G', '--mem', 'acme-ts sets it from options.slurm.memPerWorker: use that instead'],
    ['--mem-per-cpu=2G', '--mem-per-cpu', 'acme-ts sets it from options.slurm.memPerWorker: use that instead'],
    ['--time=10', '--time', 'acme-ts sets it from options.slurm.timeLimit: use that instead'],
    ['-t10', '-t', 'acme-ts sets it from options.slurm.timeLimit: use that instead'],
    ['--partition=long', '--partition', 'acme-ts sets it from options.slurm.partition: use that instead'],
    ['-c2', '-c', 'acme-ts sets it from options.slurm.cpusPerWorker: use that instead'],
    ['--job-name=x', '--job-name', 'acme-ts sets it from options.slurm.jobName: use that instead'],
    ['--gres=gpu:2', '--gres', 'acme-ts sets it from options.slurm.gpusPerWorker: use that instead'],
    ['--gres=nvme:1,gpu:a100:1', '--gres', 'acme-ts sets it from options.slurm.gpusPerWorker: use that instead'],
    ['--gpus-per-task=1', '--gpus-per-task', 'acme-ts sets it from options.slurm.gpusPerWorker: use that instead'],
    ['-G2', '-G', 'acme-ts sets it from options.slurm.gpusPerWorker: use that instead'],
    ['--constraint=fast', '--constraint', 'acme-ts sets it from options.slurm.constraint: use that instead'],
    ['-Cfast', '-C', 'acme-ts sets it from options.slurm.constraint: use that instead'],
    ['--qos=short', '--qos', 'acme-ts sets it from options.slurm.qos: use that instead'],
    ['--qo=short', '--qos', 'acme-ts sets it from options.slurm.qos: use that instead'],
    ['-qshort', '-q', 'acme-ts sets it from options.slurm.qos: use that instead'],
  ])('names the acme-ts setting that replaces %j', (item, clash, why) => {
    expect(rejection(() => validateExtraOptions([item], 'options.slurm.sbatchOptions')).message).toBe(
      `options.slurm.sbatchOptions[0] must not set ${clash}: ${why}, got ${JSON.stringify(item)}`,
    );
  });

  // Each of these would leave the client without the job id, its logs, or a submission at all.
  it.each([
    ['--quiet', '--quiet', /would then not print the job id/],
    ['--qui', '--quiet', /would then not print the job id/],
    ['-Q', '-Q', /would then not print the job id/],
    ['-vQ', '-Q', /bundled in -vQ.*would then not print the job id/],
    ['--parsable', '--parsable', /passes it itself/],
    ['--parsable=yes', '--parsable', /passes it itself/],
    ['--pars', '--parsable', /passes it itself/],
    ['-vo/tmp/x.out', '-o', /bundled in -vo\/tmp\/x\.out.*slurm_logs/],
    ['-o/tmp/x.out', '-o', /slurm_logs/],
    ['-e/tmp/x.err', '-e', /slurm_logs/],
    ['--array=0-3', '--array', /options\.slurm\.nWorkers/],
    ['-a0-3', '-a', /options\.slurm\.nWorkers/],
    ['--version', '--version', /print text instead of submitting/],
    ['-W', '-W', /would block/],
  ])('refuses %j, which breaks the client, saying why', (item, clash, why) => {
    const error = rejection(() => validateExtraOptions([item], 'options.slurm.sbatchOptions'));
    expect(error.option).toBe('options.slurm.sbatchOptions[0]');
    expect(error.message.startsWith(`options.slurm.sbatchOptions[0] must not set ${clash}`)).toBe(true);
    expect(error.message).toMatch(why);
    expect(error.message.endsWith(`, got ${JSON.stringify(item)}`)).toBe(true);
  });

  it('reads a short bundle only up to the first option that takes an argument', () => {
    // -N takes "1o": the "o" is its argument, not --output.
    expect(validateExtraOptions(['-N1o', '-vvk', '-xnode-o'])).toEqual(['-N1o', '-vvk', '-xnode-o']);
  });

  it('export names must be variable names', () => {
    expect(validateExportNames(['PATH', 'ACME_TS_X'])).toEqual(['PATH', 'ACME_TS_X']);
    expect(rejection(() => validateExportNames(['PATH', 'A=1'])).option).toBe('options.slurm.export[1]');
  });
});

describe('GPUs, constraints and QOS', () => {
  it("constraints: feature names with SLURM's operators; the features they name", () => {
    expect(validateConstraint('avx512&ib')).toBe('avx512&ib');
    expect(constraintFeatures('[rack1|rack2]&knl*2')).toEqual(['rack1', 'rack2', 'knl']);
    expect(constraintFeatures('!gpu&(a|b)')).toEqual(['gpu', 'a', 'b']);
    for (const bad of ['', 'a b', 'a;b', '&|', 'a\nb', 3]) {
      expect(rejection(() => validateConstraint(bad)).message).toMatch(
        /^options\.slurm\.constraint must be node features joined by SLURM's operators .*, got /,
      );
    }
  });

  it('QOS names', () => {
    expect(validateQosName('normal')).toBe('normal');
    expect(rejection(() => validateQosName('a;b')).message).toBe('options.slurm.qos must be a QOS name (1 to 100 letters, digits and ._-), got "a;b"');
  });

  it('memory sizes without "auto"', () => {
    expect(parseMemorySize('64GB', 'x')).toBe(64000);
    expect(rejection(() => parseMemorySize('auto', 'options.slurm.retries.outOfMemory.maxMemory')).message).toBe(
      'options.slurm.retries.outOfMemory.maxMemory must be a memory size such as "8GB" or "12000MB" (GB = 1000 MB), got "auto"',
    );
  });
});
