// The failure reasons options.retries may retry on: a module of its own, without imports, so the
// CLI can name them in --help without loading core (`@acme-ts/core/retry-reasons`).

/** The failure reasons a retry can be asked for. */
export const RETRY_REASONS = ['worker-exit', 'timeout', 'out-of-memory', 'node-fail', 'error'] as const;
export type RetryReason = (typeof RETRY_REASONS)[number];
