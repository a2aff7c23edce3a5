/**
 * The execution history a Standard execution would record, counted from aws-local-stepfunctions' events,
 * and its limit: AWS fails an execution whose history reaches 25,000 events (`States.Runtime`, "The
 * execution reached the maximum number of history events (25000)."; the failure is event 25,000).
 *
 * What each state records (the HistoryEvent types of the Step Functions API reference):
 * - the execution: ExecutionStarted, then ExecutionSucceeded | ExecutionFailed | ExecutionAborted | …
 * - Task: TaskStateEntered, TaskScheduled, TaskStarted, TaskSucceeded, TaskStateExited (5); a failed
 *   attempt TaskFailed, each retry TaskScheduled and TaskStarted again; a caught failure ends with
 *   TaskStateExited.
 * - Pass, Choice, Wait, Succeed: <Type>StateEntered and <Type>StateExited (2); Fail: FailStateEntered.
 * - Map (inline): MapStateEntered, MapStateStarted, per iteration MapIterationStarted and
 *   MapIterationSucceeded | MapIterationFailed, the iterations' own states, MapStateSucceeded,
 *   MapStateExited.
 * - Distributed Map: MapStateEntered, MapStateStarted, MapRunStarted, MapRunSucceeded,
 *   MapStateSucceeded, MapStateExited (6): its children record their states in their own histories.
 * - Parallel: ParallelStateEntered, ParallelStateStarted, its branches' states, ParallelStateSucceeded,
 *   ParallelStateExited.
 */

/** Step Functions' limit of one Standard execution's history. */
export const MAX_HISTORY_EVENTS = 25_000;

export type StateKind = "Task" | "Map" | "DistributedMap" | "Parallel" | "Fail" | "Other";

interface StateFields {
  Type?: string;
  ItemProcessor?: { ProcessorConfig?: { Mode?: string }; States?: Record<string, unknown> };
  Iterator?: { States?: Record<string, unknown> };
  Branches?: Array<{ States?: Record<string, unknown> }>;
}

export function isDistributedMap(state: unknown): boolean {
  const fields = state as StateFields;
  return fields.Type === "Map" && fields.ItemProcessor?.ProcessorConfig?.Mode === "DISTRIBUTED";
}

/**
 * The kind of every state an execution of the definition runs, by name: inline Map iterations and
 * Parallel branches run in the same execution; a Distributed Map's children do not.
 */
export function stateKinds(definition: { States: Record<string, unknown> }): Map<string, StateKind> {
  const kinds = new Map<string, StateKind>();
  for (const [name, state] of Object.entries(definition.States)) {
    const fields = state as StateFields;
    if (isDistributedMap(fields)) {
      kinds.set(name, "DistributedMap");
      continue;
    }
    const type = fields.Type;
    kinds.set(
      name,
      type === "Task" || type === "Map" || type === "Parallel" || type === "Fail" ? type : "Other",
    );
    const inner = fields.ItemProcessor ?? fields.Iterator;
    if (inner?.States) for (const [n, k] of stateKinds({ States: inner.States })) kinds.set(n, k);
    for (const branch of fields.Branches ?? []) {
      if (branch.States) for (const [n, k] of stateKinds({ States: branch.States })) kinds.set(n, k);
    }
  }
  return kinds;
}

/** What aws-local-stepfunctions reports, as far as the count needs it. */
export interface LibraryEvent {
  type: string;
  state?: { name: string };
  index?: number;
}

const TERMINAL = new Set([
  "ExecutionSucceeded",
  "ExecutionFailed",
  "ExecutionAborted",
  "ExecutionTimeout",
  "ExecutionTerminated",
]);

/** Events AWS records, per library event, by the state's kind. */
const ENTERED: Record<StateKind, number> = {
  Task: 3,
  Map: 2,
  DistributedMap: 3,
  Parallel: 2,
  Fail: 1,
  Other: 1,
};
const EXITED: Record<StateKind, number> = {
  Task: 2,
  Map: 2,
  DistributedMap: 3,
  Parallel: 2,
  Fail: 0,
  Other: 1,
};
const FAILED: Record<StateKind, number> = {
  Task: 1,
  Map: 1,
  DistributedMap: 2,
  Parallel: 1,
  Fail: 0,
  Other: 0,
};
const RETRIED: Record<StateKind, number> = {
  Task: 2,
  Map: 1,
  DistributedMap: 2,
  Parallel: 1,
  Fail: 0,
  Other: 0,
};

/** One execution's history, counted as its events arrive. */
export class HistoryCount {
  events = 0;
  private readonly caught = new Set<string>();

  constructor(private readonly kinds: Map<string, StateKind>) {}

  /** Count one library event; true when it ends the execution. */
  add(event: LibraryEvent): boolean {
    if (event.type === "ExecutionStarted" || TERMINAL.has(event.type)) {
      this.events += 1;
      return TERMINAL.has(event.type);
    }
    if (event.type.startsWith("MapIteration")) {
      this.events += 1;
      return false;
    }
    if (!event.state) return false;
    const kind = this.kinds.get(event.state.name) ?? "Other";
    const key = `${event.index ?? ""}/${event.state.name}`;
    switch (event.type) {
      case "StateEntered":
        this.events += ENTERED[kind];
        break;
      case "StateFailed":
        this.events += FAILED[kind];
        break;
      case "StateRetried":
        this.events += RETRIED[kind];
        break;
      case "StateCaught":
        // The failure is counted; the state's exit follows (its exit only, not a success).
        this.caught.add(key);
        break;
      case "StateExited":
        if (this.caught.delete(key)) this.events += 1;
        else this.events += EXITED[kind];
        break;
    }
    return false;
  }

  /** True once the history has no room left for anything but the execution's failure. */
  get full(): boolean {
    return this.events >= MAX_HISTORY_EVENTS;
  }
}

/** How AWS fails an execution whose history is full. */
export function historyLimitError(): Error {
  const failure = new Error(
    `The execution reached the maximum number of history events (${MAX_HISTORY_EVENTS}).`,
  );
  failure.name = "States.Runtime";
  Object.assign(failure, { isCatchable: false, isRetryable: false });
  return failure;
}
