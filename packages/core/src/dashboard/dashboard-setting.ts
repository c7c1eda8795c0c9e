// options.dashboard: serve the run's dashboard while compute() runs.
import { describeValue, OptionError } from '../errors';

export interface DashboardSetting {
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** Called with the page's URL (token included) once it serves; default: the run's log announces it. */
  onStart?: (url: string) => void;
}

export interface ResolvedDashboardSetting {
  port: number;
  onStart: ((url: string) => void) | undefined;
}

const SHAPE = 'true, false or { port, onStart } (port: an integer 0–65535, 0 picks a free one; onStart: a function receiving the URL)';

/** Checks options.dashboard; undefined when the run has no dashboard. */
export function resolveDashboardSetting(value: unknown, writeWorkerResults: boolean): ResolvedDashboardSetting | undefined {
  if (value === undefined || value === false) return undefined;
  let setting: ResolvedDashboardSetting;
  if (value === true) setting = { port: 0, onStart: undefined };
  else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const { port = 0, onStart, ...rest } = value as Record<string, unknown>;
    const extra = Object.keys(rest);
    if (extra.length > 0) throw new OptionError('dashboard', `options.dashboard must be ${SHAPE}; options.dashboard.${extra[0]} is not a dashboard setting`);
    if (!(typeof port === 'number' && Number.isInteger(port) && port >= 0 && port <= 65535)) {
      throw new OptionError('dashboard', `options.dashboard.port must be an integer 0–65535 (0 picks a free port), got ${describeValue(port)}`);
    }
    if (onStart !== undefined && typeof onStart !== 'function') {
      throw new OptionError('dashboard', `options.dashboard.onStart must be a function receiving the URL, got ${describeValue(onStart)}`);
    }
    setting = { port, onStart: onStart as ((url: string) => void) | undefined };
  } else {
    throw new OptionError('dashboard', `options.dashboard must be ${SHAPE}, got ${describeValue(value)}`);
  }
  if (!writeWorkerResults) {
    throw new OptionError(
      'dashboard',
      'options.dashboard needs a run folder (it shows the run from its records), and writeWorkerResults: false keeps none; write the results to files, or drop options.dashboard',
    );
  }
  return setting;
}
