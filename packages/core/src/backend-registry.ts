// Finds the execution backend of a run. Backends are separate packages that depend on core,
// so core loads them by name at run time (`@acme-ts/backend-<name>` exporting
// `createBackend`): the backend is chosen by configuration, not by code changes.

import type { BackendFactory, ExecutionBackend } from './backend';
import { OptionError } from './errors';

export function isExecutionBackend(value: unknown): value is ExecutionBackend {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ExecutionBackend).execute === 'function' &&
    typeof (value as ExecutionBackend).close === 'function'
  );
}

export async function createBackendByName(name: string, options: Record<string, unknown>): Promise<ExecutionBackend> {
  if (!/^[a-z][a-z0-9-]*$/.test(name)) {
    throw new OptionError('backend', `options.backend must be a backend name like "local" or "slurm", got ${JSON.stringify(name)}`);
  }
  const packageName = `@acme-ts/backend-${name}`;
  let mod: { createBackend?: BackendFactory };
  try {
    mod = require(packageName);
  } catch (err) {
    throw new OptionError(
      'backend',
      `options.backend is "${name}", but ${packageName} cannot be loaded (${(err as Error).message.split('\n')[0]}); install it with \`npm install ${packageName}\``,
    );
  }
  if (typeof mod.createBackend !== 'function') {
    throw new OptionError('backend', `${packageName} does not export createBackend(); it is not an acme-ts backend`);
  }
  return mod.createBackend(options);
}
