// The run's progress on stderr: one line redrawn in place on a terminal, a plain line every
// few seconds otherwise (a log file or a batch job's output then stays readable).
//
// "running" is the number of calls in flight as far as the client can tell: core reports
// settled calls only, and a backend keeps all its workers busy while calls remain, so it is
// min(workers, calls not yet settled).

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface ProgressCounts {
  total: number;
  done: number;
  failed: number;
  running: number;
}

export interface RunProgressOptions {
  label: string;
  /** Calls that can run at once. */
  workers: number;
  enabled: boolean;
  /** Seconds between plain lines when the stream is not a terminal. */
  intervalSeconds?: number;
  color?: boolean;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** `label  45% |█████     | 18 done, 1 failed, 2 running of 40 [00:03<00:04, 5.2 calls/s]` */
export function formatProgress(label: string, c: ProgressCounts, elapsedSeconds: number, options: { width?: number; color?: boolean } = {}): string {
  const width = options.width ?? 24;
  const settled = c.done + c.failed;
  const fraction = c.total === 0 ? 1 : settled / c.total;
  const filled = Math.round(fraction * width);
  const bar = '█'.repeat(filled) + ' '.repeat(width - filled);
  const rate = elapsedSeconds > 0 ? settled / elapsedSeconds : 0;
  const left = settled === c.total ? 0 : rate > 0 ? (c.total - settled) / rate : Infinity;
  const failed = options.color && c.failed > 0 ? `\x1b[31m${c.failed} failed\x1b[0m` : `${c.failed} failed`;
  const percent = String(Math.floor(fraction * 100)).padStart(3);
  return `${label} ${percent}% |${bar}| ${c.done} done, ${failed}, ${c.running} running of ${c.total} [${formatDuration(elapsedSeconds)}<${formatDuration(left)}, ${rate.toFixed(rate < 10 ? 1 : 0)} calls/s]`;
}

export class RunProgress {
  private readonly counts: ProgressCounts;
  private readonly start = Date.now();
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly tty: boolean;
  private drawn = false;

  constructor(
    private readonly stream: ProgressStream,
    total: number,
    private readonly options: RunProgressOptions,
  ) {
    this.counts = { total, done: 0, failed: 0, running: Math.min(options.workers, total) };
    this.tty = stream.isTTY === true;
    if (!options.enabled || total === 0) return;
    const intervalMs = this.tty ? 200 : (options.intervalSeconds ?? 10) * 1000;
    this.timer = setInterval(() => this.render(), intervalMs);
    this.timer.unref();
  }

  /** One call settled. */
  settled(ok: boolean): void {
    if (ok) this.counts.done++;
    else this.counts.failed++;
    this.counts.running = Math.min(this.options.workers, this.counts.total - this.counts.done - this.counts.failed);
  }

  private render(): void {
    const line = formatProgress(this.options.label, this.counts, (Date.now() - this.start) / 1000, { color: this.options.color });
    // \x1b[2K clears what a longer previous line left on the terminal.
    this.stream.write(this.tty ? `\r\x1b[2K${line}` : `${line}\n`);
    this.drawn = true;
  }

  /** A line of its own (a SLURM job id): above the progress line on a terminal, which is then redrawn. */
  note(text: string): void {
    if (this.tty && this.drawn) {
      this.stream.write(`\r\x1b[2K${text}\n`);
      this.render();
    } else {
      this.stream.write(`${text}\n`);
    }
  }

  /** Ends the line on a terminal (the final counts stay visible). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.tty && this.drawn) {
      this.render();
      this.stream.write('\n');
    }
  }
}
