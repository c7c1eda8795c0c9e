// Progress of a run: a redrawn bar on a TTY, plain periodic lines otherwise, nothing when quiet.

export interface ProgressCounts {
  done: number;
  failed: number;
  total: number;
}

export interface ProgressOptions {
  stream?: NodeJS.WriteStream;
  /** Plain-line interval when not a TTY, ms. */
  intervalMs?: number;
  enabled?: boolean;
  label?: string;
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  const mm = String(m).padStart(2, '0');
  const ss = String(r).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

export function formatProgressLine(label: string, c: ProgressCounts, elapsedS: number, width = 30): string {
  const settled = c.done + c.failed;
  const fraction = c.total === 0 ? 1 : settled / c.total;
  const filled = Math.round(fraction * width);
  const bar = '█'.repeat(filled) + ' '.repeat(width - filled);
  const rate = elapsedS > 0 ? settled / elapsedS : 0;
  const left = rate > 0 ? (c.total - settled) / rate : Infinity;
  const failed = c.failed > 0 ? `, ${c.failed} failed` : '';
  return `${label}: ${String(Math.round(fraction * 100)).padStart(3)}% |${bar}| ${settled}/${c.total}${failed} [${formatDuration(elapsedS)}<${formatDuration(left)}, ${rate.toFixed(rate < 10 ? 1 : 0)} calls/s]`;
}

export class Progress {
  private readonly stream: NodeJS.WriteStream;
  private readonly tty: boolean;
  private readonly enabled: boolean;
  private readonly label: string;
  private readonly start = Date.now();
  private timer?: NodeJS.Timeout;
  private counts: ProgressCounts = { done: 0, failed: 0, total: 0 };

  constructor(total: number, options: ProgressOptions = {}) {
    this.stream = options.stream ?? process.stderr;
    this.tty = this.stream.isTTY === true;
    this.enabled = options.enabled ?? true;
    this.label = options.label ?? 'calls';
    this.counts.total = total;
    if (!this.enabled) return;
    this.timer = setInterval(() => this.render(), this.tty ? 200 : (options.intervalMs ?? 10000));
    this.timer.unref();
  }

  /** Called once per settled call: plain numbers, no object per call. */
  update(done: number, failed: number): void {
    this.counts.done = done;
    this.counts.failed = failed;
  }

  private render(final = false): void {
    const line = formatProgressLine(this.label, this.counts, (Date.now() - this.start) / 1000);
    if (this.tty) this.stream.write(`\r${line}${final ? '\n' : ''}`);
    else this.stream.write(line + '\n');
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.enabled && this.tty) this.render(true);
  }
}
