// Commit: check nothing was lost, write the manifest, advance the cursor under this run's lease.
import { ConfigurationError, describeError, LeaseConflictError, ReconciliationError } from "../../errors";
import { deleteQueryJob } from "../../salesforce/bulk-query";
import { type ExtractDeps, iso, streamKey } from "./extract-deps";
import type { ExtractState, ExtractSummary } from "./extract-state";
import { buildManifest } from "./manifest";

/**
 * Commit: check nothing was lost, write the manifest, then advance the cursor to the window end with
 * a write that requires this run's lease. The cursor never moves past data that is not in S3.
 */
export async function commitExtract(deps: ExtractDeps, state: ExtractState): Promise<ExtractSummary> {
  const now = deps.now ?? Date.now;
  if (state.status !== "ready") {
    throw new ConfigurationError(`${state.object} is not ready to commit (status ${state.status}).`);
  }
  if (state.expectedRecords !== undefined && state.expectedRecords !== state.records) {
    throw new ReconciliationError(
      `${state.object}: Salesforce reported ${state.expectedRecords} rows but ${state.records} were written; the run is not committed and the window will be read again.`,
      { object: state.object },
    );
  }
  const manifestKey = deps.layout.manifest(state.object, state.runDate, state.runId);
  const previous = state.cursorBefore ? Date.parse(state.cursorBefore) : undefined;
  const end = state.window.end ? Date.parse(state.window.end) : undefined;
  // Never move a cursor backwards (a full refresh or an empty window must not rewind it).
  const cursorAfter =
    end === undefined
      ? state.cursorBefore
      : previous !== undefined && previous > end
        ? state.cursorBefore
        : state.window.end;
  const committedAt = iso(now());
  const manifest = buildManifest(deps, state, cursorAfter, committedAt);
  // Delete the finished job before the manifest so its call is counted in it.
  const before = deps.salesforce.totalCalls;
  if (state.jobId) {
    try {
      await deleteQueryJob(deps.salesforce, state.jobId, state.object);
    } catch (error) {
      deps.log.warn("extract: could not delete the finished Bulk job", {
        object: state.object,
        jobId: state.jobId,
        error: describeError(error),
      });
    }
  }
  manifest.apiCalls += deps.salesforce.totalCalls - before;
  await deps.store.put(manifestKey, `${JSON.stringify(manifest, null, 2)}\n`, {
    contentType: "application/json",
  });
  try {
    await deps.state.commit(streamKey(deps, state.object), state.runId, {
      runId: state.runId,
      cursor: cursorAfter,
      cursorField: state.window.field ?? undefined,
      manifestKey,
      committedAt,
    });
  } catch (error) {
    // A retried commit whose first attempt went through (its answer lost) finds the lease released:
    // that is success, not a conflict.
    const current =
      error instanceof LeaseConflictError ? await deps.state.get(streamKey(deps, state.object)) : undefined;
    if (
      current?.lastRunId !== state.runId ||
      current.lastManifestKey !== manifestKey ||
      current.lastStatus !== "succeeded"
    ) {
      throw error;
    }
  }
  deps.log.info("extract: committed", {
    object: state.object,
    records: state.records,
    parts: state.parts.length,
    cursor: cursorAfter,
    apiCalls: manifest.apiCalls,
  });
  return {
    object: state.object,
    status: "succeeded",
    mode: state.mode,
    records: state.records,
    parts: state.parts.length,
    bytes: state.bytes,
    apiCalls: manifest.apiCalls,
    manifestKey,
    runDate: state.runDate,
    cursor: cursorAfter,
  };
}
