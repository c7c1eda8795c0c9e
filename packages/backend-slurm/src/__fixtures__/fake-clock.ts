/**
 * A virtual clock for unit tests: sleep() moves time forward at once, so minutes of queue time
 * and the backend's polling back-off run in milliseconds. Listeners (the fake cluster) see every
 * step; `at` runs a test's action when time reaches a moment.
 */
import type { Clock } from '../clock';

export class FakeClock implements Clock {
  readonly startedAt = 1_800_000_000_000;
  private time = this.startedAt;
  private readonly listeners: ((now: number) => void)[] = [];
  private readonly actions: { at: number; run: () => void }[] = [];

  now(): number {
    return this.time;
  }

  /** Virtual ms since the clock was made. */
  elapsed(): number {
    return this.time - this.startedAt;
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return;
    this.advance(ms);
    // A real turn of the event loop, so other promises (a second client, an abort) go on too.
    await new Promise((resolve) => setImmediate(resolve));
  }

  advance(ms: number): void {
    this.time += Math.max(0, ms);
    for (const listener of this.listeners) listener(this.time);
    for (const action of this.actions.filter((a) => a.at <= this.elapsed())) {
      this.actions.splice(this.actions.indexOf(action), 1);
      action.run();
    }
  }

  onAdvance(listener: (now: number) => void): void {
    this.listeners.push(listener);
  }

  /** Runs `run` once `ms` virtual ms have passed since the clock was made. */
  at(ms: number, run: () => void): void {
    this.actions.push({ at: ms, run });
  }
}
