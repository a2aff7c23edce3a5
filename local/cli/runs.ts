/**
 * The local state machine runner as the command line uses it: created once per command (synthesizing
 * the stack takes a moment), with the handlers observed and the execution events passed to whichever
 * run is in progress.
 */
import type { Runtime } from "../../functions/runtime/runtime";
import {
  createLocalRunner,
  type LocalExecutionEvent,
  type LocalRunner,
  type LocalRunnerOptions,
} from "../stepfunctions/state-machine";
import { causeMessage } from "./execution-errors";
import { type HandlerCall, observedSyncHandlers } from "./observed-handlers";

export type RunnerTuning = Omit<LocalRunnerOptions, "runtime" | "handlers" | "onEvent">;

export interface Runs {
  runner: LocalRunner;
  runtime: Runtime;
  /** Watch handler calls and execution events until the returned function is called. */
  watch(watcher: RunWatcher): () => void;
}

export interface RunWatcher {
  call?(call: HandlerCall): void;
  event?(event: LocalExecutionEvent, execution: string): void;
}

export async function createRuns(runtime: Runtime, tuning: RunnerTuning = {}): Promise<Runs> {
  const watchers = new Set<RunWatcher>();
  const runner = await createLocalRunner({
    ...tuning,
    runtime,
    handlers: observedSyncHandlers((call) => {
      for (const watcher of watchers) watcher.call?.(call);
    }),
    onEvent: (event, execution) => {
      for (const watcher of watchers) watcher.event?.(event, execution);
    },
  });
  return {
    runner,
    runtime,
    watch(watcher) {
      watchers.add(watcher);
      return () => watchers.delete(watcher);
    },
  };
}

/** A failed or retried state as a progress note, so a run waiting out retries does not look stuck. */
export function failureNote(event: LocalExecutionEvent): string | undefined {
  if (!event.state) return undefined;
  if (event.type === "StateFailed") {
    const message = causeMessage(event.cause).replace(/\s+/g, " ").slice(0, 160);
    return `${event.state} failed: ${event.error ?? "Error"}${message ? `: ${message}` : ""}`;
  }
  if (event.type === "StateRetried") return `${event.state}: retrying`;
  return undefined;
}
