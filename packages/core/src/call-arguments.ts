// Where a call's arguments are built, both halves: on the client, the distributed arguments
// (arguments.ts) are split into what every call shares (RunnerSetup.broadcast, sent once per
// worker) and each call's payload (CallPayload, read lazily per call); in the runner, call i's
// argument list is put back together from the two. Ranges travel as arithmetic, dataset rows
// (dataset-rows.ts) as their source, which the runner reads: neither as payloads.

import type { CallPayload, RunnerSetup, SplitArgument } from './backend';
import { isRange, type Distribution } from './arguments';
import { isDatasetRows, RowReader } from './dataset-rows';

/** The client's half: what a run's setup and job need to carry the arguments. */
export interface CallArguments {
  broadcast: RunnerSetup['broadcast'];
  splits: SplitArgument[];
  /**
   * Call i's payload (see CallPayload). One closure per shape of arguments, so the per-call path
   * of a large run is one array read.
   */
  payloadFor: (taskID: number) => CallPayload;
  /** When each payload is one value: the values by taskID (ExecutionJob.payloadSource). */
  payloadSource?: ArrayLike<unknown>;
}

export function splitCallArguments(d: Distribution): CallArguments {
  const broadcastPositional = d.positional.map((p) => (p.mode === 'broadcast' ? p.value : undefined));
  const keyword: Record<string, unknown> = {};
  for (const [name, p] of Object.entries(d.keyword)) if (p.mode === 'broadcast') keyword[name] = p.value;
  // The split arguments in RunnerSetup.splits order (positional, then keyword).
  const splitArguments: { target: SplitArgument['target']; values: ArrayLike<unknown> }[] = [
    ...d.positional.flatMap((p, i) => (p.mode === 'split' ? [{ target: { positional: i }, values: p.values }] : [])),
    ...Object.entries(d.keyword).flatMap(([k, p]) => (p.mode === 'split' ? [{ target: { keyword: k }, values: p.values }] : [])),
  ];
  // The values of the splits that travel as payloads (ranges and dataset rows do not).
  const sources = splitArguments.map((s) => s.values).filter((values) => !isRange(values) && !isDatasetRows(values));
  const only = sources[0];
  return {
    broadcast: { positional: broadcastPositional, keyword, hasKwargs: d.hasKwargs },
    splits: splitArguments.map(({ target, values }) =>
      isRange(values) ? { target, range: { start: values.start, step: values.step } } : isDatasetRows(values) ? { target, rows: values.source } : { target },
    ),
    payloadFor: sources.length === 0 ? () => undefined : sources.length === 1 ? (taskID) => only![taskID] : (taskID) => sources.map((values) => values[taskID]),
    ...(sources.length === 1 ? { payloadSource: only } : {}),
  };
}

/** The runner's half: call i's argument list from the setup and its payload. */
export interface ArgumentAssembly {
  argumentsOf(taskID: number, payload: CallPayload): unknown[];
  /** Call i's value of each split argument, in `setup.splits` order. */
  splitValues(taskID: number, payload: CallPayload): unknown[];
  /**
   * The usual call has one split argument and nothing else: it is called with that value alone,
   * without an argument array per call (`range` or `rows` set when the value is computed from the
   * taskID, not the payload: then splitValues(taskID, payload)[0] is the value).
   */
  soleArgument: SplitArgument | undefined;
}

export function assembleArguments(setup: Pick<RunnerSetup, 'broadcast' | 'splits'>): ArgumentAssembly {
  const { broadcast, splits } = setup;
  const payloadWidth = splits.filter((s) => !s.range && !s.rows).length;
  const rowReader = splits.some((s) => s.rows) ? new RowReader() : undefined;

  /** Calls `use(split, value)` with call i's value of each split argument, in order. */
  function forEachSplit(taskID: number, payload: CallPayload, use: (split: SplitArgument, value: unknown) => void): void {
    let k = 0;
    for (const split of splits) {
      const value = split.range
        ? split.range.start + taskID * split.range.step
        : split.rows
          ? rowReader!.row(split.rows, taskID)
          : payloadWidth === 1
            ? payload
            : (payload as unknown[])[k++];
      use(split, value);
    }
  }

  function argumentsOf(taskID: number, payload: CallPayload): unknown[] {
    const args = broadcast.positional.slice();
    const kwargs: Record<string, unknown> | undefined = broadcast.hasKwargs ? { ...broadcast.keyword } : undefined;
    forEachSplit(taskID, payload, (split, value) => {
      if ('positional' in split.target) args[split.target.positional] = value;
      else kwargs![split.target.keyword] = value;
    });
    if (kwargs) args.push(kwargs);
    return args;
  }

  function splitValues(taskID: number, payload: CallPayload): unknown[] {
    const values: unknown[] = [];
    forEachSplit(taskID, payload, (_, value) => values.push(value));
    return values;
  }

  const sole = splits.length === 1 && !broadcast.hasKwargs && broadcast.positional.length === 1 ? splits[0]! : undefined;
  const soleArgument = sole && 'positional' in sole.target && sole.target.positional === 0 ? sole : undefined;
  return { argumentsOf, splitValues, soleArgument };
}
