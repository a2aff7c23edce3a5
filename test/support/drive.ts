import { setTimeout as sleep } from "node:timers/promises";
import { readPlannedObjects } from "../../functions/core/discover";
import type { ExtractState, ExtractSummary, ExtractTask } from "../../functions/core/extract/extract-state";
import type { MergeState, MergeTask } from "../../functions/core/lake/merge";
import { type DiscoverOutput, discoverHandler } from "../../functions/discover/handler";
import { describeError } from "../../functions/errors";
import { extractHandler } from "../../functions/extract/handler";
import { lakeHandler } from "../../functions/lake/handler";
import type { Runtime } from "../../functions/runtime/runtime";

export interface DriveOptions {
  /** Time left in each invocation (the extract stops early and continues when short). */
  remainingMs?: () => number;
  /** Called before each action; throwing simulates a crash at that step boundary. */
  beforeAction?: (action: string, state: unknown) => void;
}

/**
 * Drive one object's extract through its actions as the sync state machine does (start, poll until
 * ready, fetch until done, the lake's comparison when the run reconciles Ids, commit), calling the real
 * handlers. On error it runs the abort action, as
 * the state machine's Catch does, then rethrows.
 */
export async function driveExtract(
  runtime: Runtime,
  task: ExtractTask,
  options: DriveOptions = {},
): Promise<ExtractSummary> {
  const remainingMs = options.remainingMs ?? (() => 900_000);
  const invoke = async (event: { action: string } & Record<string, unknown>) => {
    options.beforeAction?.(event.action, event);
    return extractHandler.invoke(event, runtime, remainingMs);
  };
  let state: ExtractState | undefined;
  try {
    state = (await invoke({ action: "start", task })) as ExtractState;
    for (let steps = 0; steps < 10_000; steps++) {
      if (state.status === "polling") {
        await sleep(Math.min(50, state.waitSeconds * 10));
        state = (await invoke({ action: "poll", state })) as ExtractState;
      } else if (state.status === "fetching") {
        state = (await invoke({ action: "fetch", state })) as ExtractState;
      } else if (state.status === "comparing") {
        // Id reconciliation: the lake compares the run's Id snapshot, as the state machine's lake task does.
        options.beforeAction?.("compare", { action: "compare", state });
        state = (await lakeHandler.invoke(
          { action: "compare", state },
          runtime,
          remainingMs,
        )) as ExtractState;
      } else {
        return (await invoke({ action: "commit", state })) as ExtractSummary;
      }
    }
    throw new Error("extract did not finish in 10,000 steps");
  } catch (error) {
    const caught = {
      Error: (error as Error).name,
      Cause: JSON.stringify({ errorMessage: describeError(error).message }),
    };
    await extractHandler
      .invoke({ action: "abort", state: state ?? task, error: caught }, runtime, remainingMs)
      .catch(() => undefined);
    throw error;
  }
}

/** Discover's answer, with `tasks`: each object as the sync Map hands it to extract (the run id added). */
export type DrivenDiscover = DiscoverOutput & { tasks: ExtractTask[] };

export async function driveDiscover(
  runtime: Runtime,
  runId: string,
  request: Record<string, unknown> = {},
): Promise<DrivenDiscover> {
  const output = (await discoverHandler.invoke({ runId, request }, runtime)) as DiscoverOutput;
  const planned = await readPlannedObjects(runtime.store, runtime.layout, output.runId);
  return { ...output, tasks: planned.map((object) => ({ runId: output.runId, ...object })) };
}

/** Discover then extract every selected object in turn; returns the summaries by object. */
export async function driveSync(
  runtime: Runtime,
  runId: string,
  request: Record<string, unknown> = {},
  options: DriveOptions = {},
): Promise<Map<string, ExtractSummary>> {
  const discovered = await driveDiscover(runtime, runId, request);
  const out = new Map<string, ExtractSummary>();
  for (const task of discovered.tasks) out.set(task.object, await driveExtract(runtime, task, options));
  return out;
}

/**
 * Drive one object's lake merge as the sync state machine will after "Commit object": merge, then
 * check (after the continuation's wait) until done, calling the real handler.
 */
export async function driveMerge(runtime: Runtime, task: MergeTask): Promise<MergeState> {
  let state = (await lakeHandler.invoke({ action: "merge", task }, runtime)) as MergeState;
  for (let steps = 0; state.status === "running"; steps++) {
    if (steps >= 1_000) throw new Error("the merge did not finish in 1,000 checks");
    await sleep(Math.min(50, state.waitSeconds * 10));
    state = (await lakeHandler.invoke({ action: "check", state }, runtime)) as MergeState;
  }
  return state;
}
