// Poll: ask the Bulk job's state once and say how long to wait before the next poll.
import { ConfigurationError } from "../../errors";
import { assertQueryJobUsable, createQueryJob, getQueryJob } from "../../salesforce/bulk-query";
import { counted, type ExtractDeps, isBulkUnsupported, streamKey } from "./extract-deps";
import type { ExtractState } from "./extract-state";
import { pollPartial } from "./partial";

/** A run tries this many Bulk jobs for an object before it gives up on a job that keeps failing. */
const MAX_BULK_JOBS = 3;

/** Poll: ask the job's state once; say how long to wait before the next poll. Never sleeps. */
export async function pollExtract(deps: ExtractDeps, state: ExtractState): Promise<ExtractState> {
  const now = deps.now ?? Date.now;
  await deps.state.renewLease(streamKey(deps, state.object), state.runId, deps.settings.leaseMs, now());
  const before = deps.salesforce.totalCalls;
  const polled = await pollJob(deps, state);
  const spent = deps.salesforce.totalCalls - before;
  // A partial read's polls are its own cost; a finished job announces its rows.
  if (state.phase === "partial") {
    return pollPartial(polled, spent, undefined);
  }
  // The Id snapshot's polls are the reconciliation's cost too.
  if (state.phase !== "ids" || polled.reconcile === undefined) return polled;
  return { ...polled, reconcile: { ...polled.reconcile, apiCalls: polled.reconcile.apiCalls + spent } };
}

function pollJob(deps: ExtractDeps, state: ExtractState): Promise<ExtractState> {
  return counted(deps, async () => {
    if (!state.jobId)
      throw new ConfigurationError(`Nothing to poll for ${state.object}: no Bulk job in the continuation.`);
    const job = await getQueryJob(deps.salesforce, state.jobId, state.object);
    const next: ExtractState = { ...state, polls: state.polls + 1 };
    // The Id snapshot of a reconciling run (phase `ids`) and a partial read keep the query's counts and
    // part tag.
    const ids = state.phase === "ids" || state.phase === "partial";
    if (job.state === "JobComplete") {
      if (state.phase === "partial") {
        return pollPartial({ ...next, status: "fetching" }, 0, job.numberRecordsProcessed);
      }
      return ids
        ? { ...next, status: "fetching", expectedIds: job.numberRecordsProcessed }
        : { ...next, status: "fetching", expectedRecords: job.numberRecordsProcessed };
    }
    if (job.state === "Failed" && ids && isBulkUnsupported(job.errorMessage ?? "")) {
      deps.log.warn("extract: Bulk job of the Id snapshot failed as unsupported, using REST", {
        object: state.object,
        jobId: job.id,
      });
      return { ...next, status: "fetching", jobId: undefined };
    }
    if (job.state === "Failed" && isBulkUnsupported(job.errorMessage ?? "")) {
      deps.log.warn("extract: Bulk job failed as unsupported, using REST", {
        object: state.object,
        jobId: job.id,
      });
      return {
        ...next,
        status: "fetching",
        api: "rest",
        jobTag: `${job.id}-rest`,
        apiReason: job.errorMessage,
      };
    }
    if (job.state === "Failed" && state.jobIds.length < MAX_BULK_JOBS) {
      // Salesforce fails a job for its own reasons (a batch that timed out, an internal error): nothing
      // of it was read yet, so a new job for the same window is a clean restart.
      deps.log.warn("extract: Bulk job failed, starting a new one", {
        object: state.object,
        jobId: job.id,
        errorMessage: job.errorMessage,
      });
      const again = await createQueryJob(deps.salesforce, {
        object: state.object,
        soql: state.soql,
        operation: state.operation,
      });
      return {
        ...next,
        status: "polling",
        jobId: again.id,
        jobTag: ids ? state.jobTag : again.id,
        jobIds: [...state.jobIds, again.id],
        waitSeconds: deps.settings.pollFirstSeconds,
      };
    }
    assertQueryJobUsable(job);
    return {
      ...next,
      status: "polling",
      waitSeconds: Math.min(deps.settings.pollMaxSeconds, Math.max(1, state.waitSeconds * 2)),
    };
  });
}
