// Abort: after a failure, stop the Bulk job, record the error and release the lease (cursor unchanged).
import { describeError } from "../../errors";
import { abortQueryJob, deleteQueryJob } from "../../salesforce/bulk-query";
import { lagSeconds, publishExtractFailure } from "../run-metrics";
import { type ExtractDeps, streamKey } from "./extract-deps";
import type { ExtractState, ExtractSummary, ExtractTask } from "./extract-state";

/**
 * After a failure: abort the Bulk job if one is running and release the lease, recording the error.
 * The cursor stays where it was, so the next run reads the same window again.
 */
export async function abortExtract(
  deps: ExtractDeps,
  state: ExtractTask & Partial<ExtractState>,
  error: Record<string, string | number>,
): Promise<ExtractSummary> {
  if (state.jobId) {
    try {
      await abortQueryJob(deps.salesforce, state.jobId, state.object);
    } catch (abortError) {
      // A job that already finished cannot be aborted; delete it instead so nothing is left behind.
      await deleteQueryJob(deps.salesforce, state.jobId, state.object).catch(() => undefined);
      deps.log.debug("extract: abort of the Bulk job failed", {
        object: state.object,
        error: describeError(abortError),
      });
    }
  }
  // The run's summary reads the message here: the execution's state keeps only the error's name, and
  // the state item below keeps it only while this run holds the object.
  await deps.store.put(
    deps.layout.runError(state.runId, state.object),
    `${JSON.stringify({ object: state.object, runId: state.runId, error }, null, 2)}\n`,
    { contentType: "application/json" },
  );
  // Only a lease this run holds is released; another run's lease is left alone.
  await deps.state.release(streamKey(deps, state.object), state.runId, {
    status: "failed",
    error: String(error.message ?? error.name ?? "failed"),
  });
  deps.log.error("extract: object failed", { object: state.object, error });
  if (deps.metrics) {
    // The cursor stayed where it was and the org's clock moved on: the lag grows until a run commits.
    let cursor = state.cursorBefore;
    if (cursor === undefined) {
      cursor = await deps.state.get(streamKey(deps, state.object)).then(
        (stream) => stream?.cursor,
        () => undefined,
      );
    }
    publishExtractFailure(deps.metrics, state.object, {
      apiCalls: state.apiCalls ?? 0,
      lagSeconds: lagSeconds(deps.salesforce.serverNow(), cursor),
    });
  }
  return {
    object: state.object,
    status: "failed",
    mode: state.mode,
    records: state.records ?? 0,
    parts: state.parts?.length ?? 0,
    bytes: state.bytes ?? 0,
    apiCalls: state.apiCalls ?? 0,
    error,
  };
}
