import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findConfigFile, loadConfig, ConfigError } from './config';

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'acme-config-'));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

const noUserConfig = () => ({ HOME: root, XDG_CONFIG_HOME: path.join(root, 'xdg') });

test('no file anywhere: an empty config', () => {
  expect(loadConfig(root, noUserConfig())).toEqual({ path: undefined, config: {} });
});

test('acme-ts.config.json in a parent folder of the working directory applies', () => {
  const deep = path.join(root, 'project', 'analysis', 'run');
  fs.mkdirSync(deep, { recursive: true });
  fs.writeFileSync(path.join(root, 'project', 'acme-ts.config.json'), JSON.stringify({ backend: 'slurm', slurm: { partition: 'debug' } }));
  expect(loadConfig(deep, noUserConfig())).toEqual({
    path: path.join(root, 'project', 'acme-ts.config.json'),
    config: { backend: 'slurm', slurm: { partition: 'debug' } },
  });
});

test('$XDG_CONFIG_HOME/acme-ts/config.json when no project file exists; ACME_TS_CONFIG wins over both', () => {
  const env = noUserConfig();
  fs.mkdirSync(path.join(env.XDG_CONFIG_HOME, 'acme-ts'), { recursive: true });
  const user = path.join(env.XDG_CONFIG_HOME, 'acme-ts', 'config.json');
  fs.writeFileSync(user, '{"backend": "local"}');
  expect(findConfigFile(root, env)).toBe(user);
  const explicit = path.join(root, 'cluster.json');
  fs.writeFileSync(explicit, '{"backend": "slurm"}');
  expect(loadConfig(root, { ...env, ACME_TS_CONFIG: explicit }).config).toEqual({ backend: 'slurm' });
});

test('ACME_TS_CONFIG naming a missing file is an error that names it', () => {
  expect(() => findConfigFile(root, { ...noUserConfig(), ACME_TS_CONFIG: 'nope.json' })).toThrow(
    `ACME_TS_CONFIG points to ${path.join(root, 'nope.json')}, which is not a file; fix the path or unset ACME_TS_CONFIG`,
  );
});

test.each([
  ['{"backend": "slurm",}', undefined, /is not valid JSON .*; fix the syntax/],
  ['[1]', undefined, /must hold a JSON object like/],
  ['{"backnd": "slurm"}', 'backnd', /"backnd" is not a config key; did you mean "backend"\?/],
  ['{"partition": "debug"}', 'partition', /"partition" is not a config key; the keys are "backend", "local", "slurm"/],
  ['{"backend": "SLURM!"}', 'backend', /"backend" must be a backend name like "local" or "slurm", got "SLURM!"/],
  ['{"slurm": "debug"}', 'slurm', /"slurm" must be an object of slurm backend options, got "debug"/],
])('config error names the file, the key and the fix: %s', (text, key, message) => {
  const file = path.join(root, 'acme-ts.config.json');
  fs.writeFileSync(file, text);
  let error: unknown;
  try {
    loadConfig(root, noUserConfig());
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ConfigError);
  expect((error as ConfigError).file).toBe(file);
  expect((error as ConfigError).key).toBe(key);
  expect((error as ConfigError).message).toMatch(message);
  expect((error as ConfigError).message.startsWith(file)).toBe(true);
});
