import type { DuplicateLoad } from "../../../functions/core/load/claim";
import type { LoadState, LoadSummary } from "../../../functions/core/load/load-state";
import { describeError } from "../../../functions/errors";
import { loadHandler } from "../../../functions/load/handler";
import type { Runtime } from "../../../functions/runtime/runtime";

export interface DriveLoadOptions {
  runId?: string;
  /** Time left in each invocation (tiny values force one step per invocation). */
  remainingMs?: () => number;
  /** Called before each action with its payload; throwing simulates the Lambda dying there. */
  beforeAction?: (action: string, payload: Record<string, unknown>) => void | Promise<void>;
}

export interface DriveLoadResult {
  /** The claim's answer when the file was a duplicate. */
  duplicate?: DuplicateLoad;
  /** finish's summary, or fail's after an error. */
  summary?: LoadSummary;
  /** The error that ended the run (the state machine would fail the execution with it). */
  error?: Error;
  /** Actions invoked, in order. */
  actions: string[];
  /** Every state an action returned. */
  states: LoadState[];
  /** Actions invoked again after a retryable error. */
  retries: number;
}

/**
 * Drive the load handler's actions as the load state machine does: claim, then route on `status`
 * until finish; on an error, the fail action with the caught error (as Catch passes it), then stop.
 * Waits are not waited: the state machine's Wait states are its business.
 */
export async function driveLoad(
  runtime: Runtime,
  request: unknown,
  options: DriveLoadOptions = {},
): Promise<DriveLoadResult> {
  const remainingMs = options.remainingMs ?? (() => 900_000);
  const result: DriveLoadResult = { actions: [], states: [], retries: 0 };
  // Like the state machine's Retry on TransientError / RateLimitError: the same payload again.
  const invoke = async (payload: Record<string, unknown> & { action: string }) => {
    for (let attempt = 1; ; attempt++) {
      result.actions.push(payload.action);
      try {
        await options.beforeAction?.(payload.action, payload);
        return await loadHandler.invoke(payload, runtime, remainingMs);
      } catch (error) {
        const name = (error as Error).name;
        if (attempt >= 5 || (name !== "TransientError" && name !== "RateLimitError")) throw error;
        result.retries += 1;
      }
    }
  };
  const claimed = (await invoke({ action: "claim", request, runId: options.runId })) as
    | LoadState
    | DuplicateLoad;
  if (claimed.status === "duplicate") {
    result.duplicate = claimed as DuplicateLoad;
    return result;
  }
  let state = claimed as LoadState;
  result.states.push(state);
  try {
    for (let step = 0; step < 5000; step++) {
      const action = {
        submitting: "submit",
        retrying: "submit",
        polling: "poll",
        collecting: "results",
        finishing: "finish",
      }[state.status as Exclude<LoadState["status"], "duplicate">];
      if (action === "finish") {
        result.summary = (await invoke({ action, state })) as LoadSummary;
        return result;
      }
      if (action === "poll") await new Promise((resolve) => setTimeout(resolve, 5));
      state = (await invoke({ action, state })) as LoadState;
      result.states.push(state);
    }
    throw new Error("the load did not finish in 5000 steps");
  } catch (error) {
    result.error = error as Error;
    const caught = {
      Error: (error as Error).name,
      Cause: JSON.stringify({ errorType: (error as Error).name, errorMessage: describeError(error).message }),
    };
    result.summary = (await loadHandler.invoke(
      { action: "fail", state, error: caught },
      runtime,
      remainingMs,
    )) as LoadSummary;
    result.actions.push("fail");
    return result;
  }
}
