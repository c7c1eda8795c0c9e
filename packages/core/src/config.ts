// The per-cluster configuration file: which backend runs the calls and its defaults, so the
// same script runs locally with no file and on SLURM with one. Explicit options win over it.
//
// Looked up in this order: $ACME_TS_CONFIG; acme-ts.config.json in the working directory or
// any parent; $XDG_CONFIG_HOME/acme-ts/config.json (default ~/.config/acme-ts/config.json).

import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { AcmeError } from './errors';
import { suggestName } from './options';

export const CONFIG_FILE_NAME = 'acme-ts.config.json';

export interface AcmeConfig {
  /** Backend name: "local" (default) or "slurm". */
  backend?: string;
  /** Defaults for the local backend, e.g. { "nWorkers": 8 }. */
  local?: Record<string, unknown>;
  /** Defaults for the SLURM backend (partition, memPerWorker, timeLimit, sbatchOptions, …). */
  slurm?: Record<string, unknown>;
}

export interface LoadedConfig {
  /** The file it came from; undefined when no file was found. */
  path: string | undefined;
  config: AcmeConfig;
}

const KEYS = ['backend', 'local', 'slurm'] as const;

export class ConfigError extends AcmeError {
  constructor(
    readonly file: string,
    readonly key: string | undefined,
    message: string,
  ) {
    super('ERR_ACME_CONFIG', message);
  }
}

/** The config file that applies to `cwd`, or undefined. */
export function findConfigFile(cwd = process.cwd(), env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.ACME_TS_CONFIG) {
    const explicit = resolve(cwd, env.ACME_TS_CONFIG);
    if (!existsSync(explicit) || !statSync(explicit).isFile()) {
      throw new ConfigError(explicit, undefined, `ACME_TS_CONFIG points to ${explicit}, which is not a file; fix the path or unset ACME_TS_CONFIG`);
    }
    return explicit;
  }
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const candidate = join(dir, CONFIG_FILE_NAME);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) break;
  }
  const xdg = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  const user = join(xdg, 'acme-ts', 'config.json');
  return existsSync(user) ? user : undefined;
}

/** Reads and checks the applicable config file (an empty config when there is none). */
export function loadConfig(cwd = process.cwd(), env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const path = findConfigFile(cwd, env);
  if (!path) return { path: undefined, config: {} };
  return { path, config: parseConfig(readFileSync(path, 'utf8'), path) };
}

export function parseConfig(text: string, file: string): AcmeConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(file, undefined, `${file} is not valid JSON (${(err as Error).message}); fix the syntax`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(file, undefined, `${file} must hold a JSON object like {"backend": "slurm", "slurm": {"partition": "…"}}`);
  }
  const config = raw as Record<string, unknown>;
  for (const key of Object.keys(config)) {
    if ((KEYS as readonly string[]).includes(key)) continue;
    const guess = suggestName(key, KEYS);
    throw new ConfigError(
      file,
      key,
      `${file}: "${key}" is not a config key; ${guess ? `did you mean "${guess}"?` : `the keys are ${KEYS.map((k) => `"${k}"`).join(', ')}`}`,
    );
  }
  if (config.backend !== undefined && (typeof config.backend !== 'string' || !/^[a-z][a-z0-9-]*$/.test(config.backend))) {
    throw new ConfigError(file, 'backend', `${file}: "backend" must be a backend name like "local" or "slurm", got ${JSON.stringify(config.backend)}`);
  }
  for (const section of ['local', 'slurm'] as const) {
    const value = config[section];
    if (value !== undefined && (value === null || typeof value !== 'object' || Array.isArray(value))) {
      throw new ConfigError(file, section, `${file}: "${section}" must be an object of ${section} backend options, got ${JSON.stringify(value)}`);
    }
  }
  return config as AcmeConfig;
}
