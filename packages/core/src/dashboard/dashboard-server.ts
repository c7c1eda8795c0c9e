// The dashboard's HTTP server: the page, its scripts, and the run records as JSON, with live
// updates as Server-Sent Events. Secure by default: it listens on 127.0.0.1 only, every page
// and record needs the random token printed in its URL, answers only requests whose Host is a
// loopback name (no DNS rebinding), only GET and HEAD, and serves nothing but a fixed list of
// its own assets and what the run folder's records say (a call's log file only when a record
// names it and it lies inside the run folder).

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, relative, isAbsolute } from 'node:path';
import { readManifest } from '../run-store';
import { RunCatalog, type CatalogEntry } from './run-catalog';
import { readRunSnapshot, type RunSnapshot } from './run-snapshot';
import { loadWorkerDescriber, type WorkerReport } from './worker-report';
import { DashboardError } from './dashboard-error';
import { recordsFingerprint } from './records-fingerprint';

export interface DashboardOptions {
  /** TCP port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** How often a watched run's records are read again while a page listens (ms, default 1000). */
  pollIntervalMs?: number;
  /** How often the backend's worker report (SLURM: squeue) is asked again (ms, default 5000). */
  workerPollMs?: number;
}

const ASSET_DIR = join(__dirname, '..', '..', 'assets', 'dashboard');

/** The only files the server sends from disk besides the run's log files: name → [path, type]. */
function assetTable(): Map<string, [string, string]> {
  const uplotDir = dirname(require.resolve('uplot/dist/uPlot.iife.min.js'));
  return new Map([
    ['app.js', [join(ASSET_DIR, 'app.js'), 'text/javascript; charset=utf-8']],
    ['app.css', [join(ASSET_DIR, 'app.css'), 'text/css; charset=utf-8']],
    ['uPlot.iife.min.js', [join(uplotDir, 'uPlot.iife.min.js'), 'text/javascript; charset=utf-8']],
    ['uPlot.min.css', [join(uplotDir, 'uPlot.min.css'), 'text/css; charset=utf-8']],
  ]);
}

const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '[::1]']);
const LOG_TAIL_BYTES = 512 * 1024;
/** A watched run's snapshots are spaced at least this many times the time one took. */
const SNAPSHOT_COST_FACTOR = 10;

const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
  'X-Frame-Options': 'DENY',
};

/** Live updates of one run for the pages that listen to it. */
class RunWatch {
  private readonly listeners = new Set<ServerResponse>();
  private timer?: NodeJS.Timeout;
  private last = '';
  private workers?: { at: number; report: WorkerReport | undefined };
  private busy = false;
  /** The records' fingerprint at the last snapshot sent, when it was made and how long it took. */
  private sent = { fingerprint: '', at: 0, costMs: 0 };

  constructor(
    private readonly run: CatalogEntry,
    private readonly options: Required<Omit<DashboardOptions, 'port'>>,
  ) {}

  async snapshot(): Promise<RunSnapshot> {
    return readRunSnapshot(this.run.outputDir, await this.workerReport());
  }

  private async workerReport(): Promise<WorkerReport | undefined> {
    if (this.workers && Date.now() - this.workers.at < this.options.workerPollMs) return this.workers.report;
    let report: WorkerReport | undefined;
    try {
      const describe = loadWorkerDescriber(readManifest(this.run.outputDir).backend);
      report = describe ? await describe(this.run.outputDir) : undefined;
    } catch (error) {
      report = { workers: [], note: `the backend's worker report failed: ${(error as Error).message}` };
    }
    this.workers = { at: Date.now(), report };
    return report;
  }

  add(res: ServerResponse): void {
    this.listeners.add(res);
    this.last = '';
    this.sent = { fingerprint: '', at: 0, costMs: 0 };
    void this.tick();
    // Unref'd: the server (or the run that serves it) decides how long the process lives.
    this.timer ??= setInterval(() => void this.tick(), this.options.pollIntervalMs).unref();
  }

  remove(res: ServerResponse): void {
    this.listeners.delete(res);
    if (this.listeners.size === 0) this.stop();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      let event: string;
      try {
        // Unchanged records: no new snapshot, but for what moves with the clock (throughput,
        // idle workers, the backend's report) every few seconds.
        // A large run's snapshot takes long (reading 10⁵ status lines ≈ 1 s): at most a tenth of
        // the time goes to it, which matters when the run's own client serves the page.
        const fingerprint = recordsFingerprint(this.run.outputDir);
        const since = Date.now() - this.sent.at;
        if (since < SNAPSHOT_COST_FACTOR * this.sent.costMs) return;
        if (fingerprint === this.sent.fingerprint && since < this.options.workerPollMs) return;
        const started = Date.now();
        const snap = await this.snapshot();
        this.sent = { fingerprint, at: Date.now(), costMs: Date.now() - started };
        const { updatedAt: _ignored, ...content } = snap;
        const key = JSON.stringify(content);
        if (key === this.last) return;
        this.last = key;
        event = `event: snapshot\ndata: ${JSON.stringify(snap)}\n\n`;
      } catch (error) {
        event = `event: problem\ndata: ${JSON.stringify({ message: (error as Error).message })}\n\n`;
      }
      for (const res of this.listeners) res.write(event);
    } finally {
      this.busy = false;
    }
  }
}

export class DashboardServer {
  readonly catalog: RunCatalog;
  readonly token: string;
  private readonly server: Server;
  private readonly watches = new Map<string, RunWatch>();
  private readonly assets = assetTable();
  private readonly settings: Required<Omit<DashboardOptions, 'port'>>;
  private address?: { port: number };
  private keepAlive?: NodeJS.Timeout;

  private constructor(folder: string, options: DashboardOptions) {
    this.catalog = new RunCatalog(folder);
    this.token = randomBytes(18).toString('base64url');
    this.settings = { pollIntervalMs: options.pollIntervalMs ?? 1000, workerPollMs: options.workerPollMs ?? 5000 };
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: Error) => {
        if (!res.headersSent) this.send(res, 500, 'text/plain; charset=utf-8', `dashboard error: ${error.message}\n`);
        else res.end();
      });
    });
  }

  /** Serves the run in `folder`, or the runs inside it, on 127.0.0.1. */
  static async start(folder: string, options: DashboardOptions = {}): Promise<DashboardServer> {
    if (!existsSync(folder) || !statSync(folder).isDirectory()) {
      throw new DashboardError(`${folder} is not a folder; pass a run's output folder or a folder holding runs`);
    }
    const dashboard = new DashboardServer(folder, options);
    await new Promise<void>((resolveListen, reject) => {
      dashboard.server.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          new DashboardError(
            `the dashboard cannot listen on 127.0.0.1:${options.port ?? 0}: ${error.code ?? error.message}${error.code === 'EADDRINUSE' ? ' (the port is taken; choose another or 0 for a free one)' : ''}`,
            { cause: error },
          ),
        ),
      );
      dashboard.server.listen(options.port ?? 0, '127.0.0.1', () => resolveListen());
    });
    dashboard.address = dashboard.server.address() as { port: number };
    // SSE comments keep proxies and ssh tunnels from closing idle streams.
    dashboard.keepAlive = setInterval(() => {
      for (const res of dashboard.openStreams) res.write(': keep-alive\n\n');
    }, 15_000).unref();
    return dashboard;
  }

  private readonly openStreams = new Set<ServerResponse>();

  get port(): number {
    return this.address!.port;
  }

  /** The page's address, token included. */
  get url(): string {
    return `http://127.0.0.1:${this.port}/?token=${this.token}`;
  }

  /** Lets the process exit while the server still listens, pages included (a library run's dashboard). */
  unref(): this {
    this.server.unref();
    this.server.on('connection', (socket) => socket.unref());
    return this;
  }

  async close(): Promise<void> {
    clearInterval(this.keepAlive);
    for (const w of this.watches.values()) w.stop();
    for (const res of this.openStreams) res.end();
    await new Promise<void>((done) => {
      this.server.close(() => done());
      this.server.closeAllConnections();
    });
  }

  private send(res: ServerResponse, status: number, type: string, body: string | Buffer, head = false): void {
    res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
    res.end(head ? undefined : body);
  }

  private json(res: ServerResponse, value: unknown, head: boolean): void {
    this.send(res, 200, 'application/json; charset=utf-8', JSON.stringify(value), head);
  }

  private refuse(res: ServerResponse, status: number, message: string): void {
    this.send(res, status, 'text/plain; charset=utf-8', `${message}\n`);
  }

  private tokenMatches(given: string | null): boolean {
    if (given === null) return false;
    const a = Buffer.from(given);
    const b = Buffer.from(this.token);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
    if (!LOOPBACK_NAMES.has(host))
      return this.refuse(res, 403, 'the dashboard answers only requests to 127.0.0.1 or localhost (through ssh -L from elsewhere)');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return this.refuse(res, 405, 'the dashboard is read-only: GET and HEAD only');
    }
    const head = req.method === 'HEAD';
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;

    if (path === '/favicon.ico') {
      res.writeHead(204, SECURITY_HEADERS);
      return void res.end();
    }
    if (path.startsWith('/assets/')) {
      const asset = this.assets.get(path.slice('/assets/'.length));
      if (!asset) return this.refuse(res, 404, 'no such asset');
      return this.send(res, 200, asset[1], readFileSync(asset[0]), head);
    }
    if (!this.tokenMatches(url.searchParams.get('token'))) {
      return this.refuse(res, 403, 'this dashboard needs the token from the URL acme-ts printed (…/?token=…)');
    }
    if (path === '/' || path === '/index.html') {
      return this.send(res, 200, 'text/html; charset=utf-8', readFileSync(join(ASSET_DIR, 'index.html')), head);
    }
    if (path === '/api/runs') {
      const runs = this.catalog.list().map(({ outputDir: _path, ...entry }) => ({ ...entry, path: _path }));
      return this.json(res, { root: this.catalog.root, single: this.catalog.isSingleRun, runs }, head);
    }
    const run = this.catalog.find(url.searchParams.get('run') ?? '.');
    if (!run) return this.refuse(res, 404, 'no such run in the served folder');
    if (path === '/api/run') return this.json(res, await this.watch(run).snapshot(), head);
    if (path === '/api/events') return this.stream(run, req, res);
    if (path === '/api/file') return this.sendRunFile(run, url.searchParams, res, head);
    return this.refuse(res, 404, 'not found');
  }

  private watch(run: CatalogEntry): RunWatch {
    let w = this.watches.get(run.id);
    if (!w) this.watches.set(run.id, (w = new RunWatch(run, this.settings)));
    return w;
  }

  private stream(run: CatalogEntry, req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive' });
    res.write('retry: 2000\n\n');
    const w = this.watch(run);
    this.openStreams.add(res);
    w.add(res);
    req.on('close', () => {
      this.openStreams.delete(res);
      w.remove(res);
    });
  }

  /**
   * The run's log file (`which=log`), a failed call's log (`which=call&task=N`, the path its
   * record names) or a worker's (`which=worker&name=…`, SLURM's .err): only a regular file inside the run folder (symbolic links resolved), its
   * last 512 KiB.
   */
  private async sendRunFile(run: CatalogEntry, params: URLSearchParams, res: ServerResponse, head: boolean): Promise<void> {
    const snap = await this.watch(run).snapshot();
    let named: string | undefined;
    if (params.get('which') === 'log') named = snap.logFile ?? undefined;
    else if (params.get('which') === 'call') named = snap.failed.find((f) => String(f.taskID) === params.get('task'))?.logPath;
    else if (params.get('which') === 'worker') named = snap.workers.find((w) => w.name === params.get('name'))?.logPath;
    if (!named) return this.refuse(res, 404, 'no log file for that');
    const root = realpathSync(run.outputDir);
    let real: string;
    try {
      real = realpathSync(isAbsolute(named) ? named : join(run.outputDir, named));
    } catch {
      return this.refuse(res, 404, `${named} does not exist (yet)`);
    }
    const rel = relative(root, real);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return this.refuse(res, 403, 'only files inside the run folder are served');
    const fd = openSync(real, 'r');
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) return this.refuse(res, 403, 'not a regular file');
      const length = Math.min(st.size, LOG_TAIL_BYTES);
      const buffer = Buffer.alloc(length);
      readSync(fd, buffer, 0, length, st.size - length);
      const prefix = st.size > length ? `[… the first ${st.size - length} bytes are left out]\n` : '';
      this.send(res, 200, 'text/plain; charset=utf-8', Buffer.concat([Buffer.from(prefix), buffer]), head);
    } finally {
      closeSync(fd);
    }
  }
}

/** Starts a dashboard for `folder` (a run, or a folder holding runs); `url` has the token. */
export function startDashboard(folder: string, options?: DashboardOptions): Promise<DashboardServer> {
  return DashboardServer.start(folder, options);
}
