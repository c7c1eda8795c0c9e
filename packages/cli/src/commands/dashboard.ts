// `acme-ts dashboard <folder>`: serves the live dashboard of a run (or of the runs in a
// folder) on 127.0.0.1 until Ctrl-C; and `--dashboard` of run/rerun, which has the run's own
// client serve it while it computes.

import { existsSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import * as path from 'node:path';
import type { ParallelMapOptions } from '@acme-ts/core';
import { startDashboard } from '@acme-ts/core/dashboard';
import { UsageError } from '../errors';
import type { CliIO } from '../io';
import { asCliError } from '../session';

export interface DashboardArgs {
  folder: string;
  port?: string;
}

/** How to reach a dashboard on a cluster's login node from a laptop. */
export function tunnelHint(url: string): string {
  const { port, search } = new URL(url);
  return `from another machine: ssh -N -L 8080:127.0.0.1:${port} ${hostname()}   then open http://localhost:8080/${search}`;
}

function parsePort(value: string | undefined): number {
  if (value === undefined) return 0;
  if (!/^\d+$/.test(value) || Number(value) > 65535)
    throw new UsageError(`--port must be an integer 0–65535 (0 picks a free port), got ${JSON.stringify(value)}`, '--port');
  return Number(value);
}

/** Resolves with the exit status once Ctrl-C (or SIGTERM) stops the server. */
export async function dashboardCommand(argv: DashboardArgs, io: CliIO, signals: NodeJS.EventEmitter = process): Promise<number> {
  const folder = path.resolve(argv.folder);
  if (!existsSync(folder) || !statSync(folder).isDirectory()) {
    throw new UsageError(
      `${folder} is not a folder; pass a run's output folder (printed by acme-ts run as "output folder:") or a folder holding runs`,
      '<folder>',
    );
  }
  let server;
  try {
    server = await startDashboard(folder, { port: parsePort(argv.port) });
  } catch (error) {
    throw asCliError(error);
  }
  const what = server.catalog.isSingleRun ? 'the run in' : 'the runs in';
  io.stdout.write(`dashboard of ${what} ${folder}: ${server.url}\n`);
  io.stderr.write(`${tunnelHint(server.url)}\nread-only; Ctrl-C stops the server (the run, if one goes on, is not affected)\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      signals.off('SIGINT', stop);
      signals.off('SIGTERM', stop);
      resolve();
    };
    signals.on('SIGINT', stop);
    signals.on('SIGTERM', stop);
  });
  await server.close();
  return 0;
}

/** `--dashboard` on run/rerun: the run's client serves its dashboard and the URL goes to stderr. */
export function withDashboard<T extends ParallelMapOptions>(options: T, flags: { dashboard?: boolean }, io: CliIO): T {
  if (!flags.dashboard) return options;
  // On a terminal the progress line may be drawn already: the URL replaces it (it is redrawn).
  const clear = io.stderr.isTTY ? '\r\x1b[2K' : '';
  return { ...options, dashboard: { onStart: (url: string) => io.stderr.write(`${clear}dashboard: ${url}\n${tunnelHint(url)}\n`) } };
}
