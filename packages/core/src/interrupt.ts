// The one place a run is stopped from outside: the user's abort signal, or Ctrl-C (SIGINT) —
// the first stops the run cleanly and keeps every finished result, a second leaves at once.

import { AcmeError } from './errors';
import type { Logger } from './logger';

/** A signal that aborts when `userSignal` does or on Ctrl-C; dispose() when the run is over. */
export function runStopSignal(userSignal: AbortSignal | undefined, logger: Logger): { signal: AbortSignal; dispose(): void } {
  const stop = new AbortController();
  const onAbort = () => stop.abort(userSignal?.reason);
  userSignal?.addEventListener('abort', onAbort, { once: true });
  if (userSignal?.aborted) stop.abort(userSignal.reason);
  let interrupts = 0;
  const onSigint = () => {
    if (++interrupts > 1) process.exit(130);
    logger.warn('Interrupted: stopping the workers; finished results are kept (Ctrl-C again to quit at once)');
    stop.abort(new AcmeError('ERR_ACME_ABORTED', 'the run was interrupted (SIGINT)'));
  };
  process.on('SIGINT', onSigint);
  return {
    signal: stop.signal,
    dispose() {
      process.off('SIGINT', onSigint);
      userSignal?.removeEventListener('abort', onAbort);
    },
  };
}
