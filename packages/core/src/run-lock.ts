// One client per run folder, in every mode: `.acme-ts/client.json` names the process that is
// computing the run (host, pid, since when). A second compute(), resume or `acme-ts rerun`
// while it lives would run calls twice; it is refused with ERR_ACME_RUN_BUSY naming that
// client. A dead client's lock is taken over. On another host the lock is live while its
// heartbeat is fresh (the file is rewritten every HEARTBEAT_MS).
import { hostname } from 'node:os';
import { linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { AcmeError } from './errors';
import { isLiveProcess } from './process-liveness';
import { clientLockPath, writeFileAtomically } from './run-folder';

export interface RunClient {
  host: string;
  pid: number;
  /** ISO time the client took the run. */
  since: string;
  /** ISO time of its last heartbeat. */
  heartbeat: string;
  /** The backend it runs the calls on. */
  backend: string;
}

const HEARTBEAT_MS = 10_000;
/** A lock from another host whose heartbeat is older than this is taken to be dead. */
const STALE_MS = 6 * HEARTBEAT_MS;

/** Locks this process holds (two ParallelMaps of one process on one folder exclude each other too). */
const held = new Set<string>();

function readLock(path: string): RunClient | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as RunClient;
  } catch {
    // Absent, or cut short by a crash while written (it is written by rename, so only absent).
    return undefined;
  }
}

function isLive(client: RunClient, path: string): boolean {
  if (client.host === hostname()) {
    if (client.pid === process.pid) return held.has(path);
    return isLiveProcess(client.pid, Date.parse(client.since));
  }
  return Date.now() - Date.parse(client.heartbeat) < STALE_MS;
}

/** The client computing the run in `outputDir` now, if one lives. */
export function liveClient(outputDir: string): RunClient | undefined {
  const path = clientLockPath(outputDir);
  const client = readLock(path);
  return client && isLive(client, path) ? client : undefined;
}

export function describeClient(client: RunClient): string {
  return `process ${client.pid} on ${client.host === hostname() ? 'this host' : client.host}, ${client.backend} backend, since ${client.since}`;
}

export class RunLock {
  private timer?: NodeJS.Timeout;

  private constructor(
    private readonly path: string,
    private client: RunClient,
  ) {}

  /** Takes the run in `outputDir` (whose .acme-ts folder exists), or throws ERR_ACME_RUN_BUSY. */
  static acquire(outputDir: string, backend: string): RunLock {
    const path = clientLockPath(outputDir);
    const now = new Date().toISOString();
    const client: RunClient = { host: hostname(), pid: process.pid, since: now, heartbeat: now, backend };
    const tmp = `${path}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify(client) + '\n');
    for (let attempt = 0; ; attempt++) {
      try {
        // link() fails if the lock exists: of two clients starting at once one wins, and a
        // reader never sees a lock without its content.
        linkSync(tmp, path);
        rmSync(tmp, { force: true });
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
          rmSync(tmp, { force: true });
          throw error;
        }
        const other = readLock(path);
        // A second EEXIST: another client took over the dead lock just before this one.
        if (other && (isLive(other, path) || attempt > 0)) {
          rmSync(tmp, { force: true });
          throw new AcmeError(
            'ERR_ACME_RUN_BUSY',
            `another acme-ts client (${describeClient(other)}) is computing the run in ${outputDir}; wait until it ends (acme-ts status ${outputDir} shows its progress), or stop it, then run again`,
          );
        }
        // A dead client's lock: taken over.
        rmSync(path, { force: true });
      }
    }
    const lock = new RunLock(path, client);
    held.add(path);
    lock.timer = setInterval(() => lock.beat(), HEARTBEAT_MS).unref();
    return lock;
  }

  private beat(): void {
    this.client = { ...this.client, heartbeat: new Date().toISOString() };
    try {
      writeFileAtomically(this.path, JSON.stringify(this.client) + '\n');
    } catch {
      // A full disk or a removed folder: the next beat tries again; the run itself reports it.
    }
  }

  release(): void {
    clearInterval(this.timer);
    held.delete(this.path);
    rmSync(this.path, { force: true });
  }
}
