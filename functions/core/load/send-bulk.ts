import {
  createIngestJob,
  getIngestJob,
  type IngestJob,
  setIngestJobState,
  uploadIngestData,
} from "../../salesforce/bulk-ingest";
import type { SalesforceClient } from "../../salesforce/client";
import { SaddleError, TransientError } from "../errors";
import { checkpoint } from "./journal";
import type { LoadDeps } from "./load-deps";
import type { LoadPlan } from "./load-plan";
import type { LoadJob, LoadState } from "./load-state";
import { endRound, type TimeBudget } from "./rounds";
import { bulkUploadWriter, padded } from "./row-codec";
import type { RowCursor } from "./row-cursor";

/**
 * Sending a round through Bulk API 2.0 ingest: one job per `jobMaxBytes` of CSV, its rows streamed
 * from the source as the job's single upload, then the job closed. Checkpoints bracket each job: a job
 * whose upload did not complete is aborted and its rows go into a new job; a close whose answer was
 * lost is settled by reading the job's state.
 */

export async function abortOpenJob(
  deps: LoadDeps,
  client: SalesforceClient,
  jobId: string,
  object: string,
): Promise<IngestJob | undefined> {
  try {
    return await setIngestJobState(client, { id: jobId, object }, "Aborted");
  } catch (error) {
    // A job that is no longer Open refuses the abort; report what it is instead.
    const info = await getIngestJob(client, jobId, object).catch(() => undefined);
    deps.log.warn("load: could not abort an ingest job", {
      jobId,
      state: info?.state,
      error: error instanceof SaddleError ? error.toJSON() : String(error),
    });
    return info;
  }
}

/** Close a job whose upload Salesforce accepted. An unclear answer is settled by reading the job. */
export async function closeJob(client: SalesforceClient, jobId: string, object: string): Promise<IngestJob> {
  try {
    return await setIngestJobState(client, { id: jobId, object }, "UploadComplete");
  } catch (error) {
    if (!(error instanceof TransientError)) throw error;
    const info = await getIngestJob(client, jobId, object);
    if (info.state !== "Open") return info;
    return setIngestJobState(client, { id: jobId, object }, "UploadComplete");
  }
}

export function jobEntry(state: LoadState, job: IngestJob, rows: number): LoadJob {
  const entry: LoadJob = { id: job.id, round: state.round, rows, state: job.state, collected: false };
  if (job.errorMessage) entry.errorMessage = job.errorMessage;
  return entry;
}

export async function sendBulk(
  deps: LoadDeps,
  state: LoadState,
  plan: LoadPlan,
  cursor: RowCursor,
  client: SalesforceClient,
  budget: TimeBudget,
): Promise<void> {
  const { jobMaxBytes } = deps.settings;
  while (budget.hasTimeForAnother()) {
    budget.begin();
    if ((await cursor.peekValid()) === undefined) {
      state.position = cursor.position;
      if (state.jobs.some((job) => !job.collected)) {
        state.status = "polling";
        state.waitSeconds = deps.settings.pollFirstSeconds;
      } else {
        endRound(deps, state);
      }
      return;
    }
    const from = cursor.position;
    state.position = from;
    const job = await createIngestJob(client, {
      object: plan.object,
      operation: plan.operation,
      externalIdFieldName: plan.externalIdField,
    });
    state.inflight = { kind: "job", jobId: job.id, from };
    await checkpoint(deps, state);

    let rows = 0;
    let sourceError: unknown;
    const writer = bulkUploadWriter(plan, jobMaxBytes);
    const width = plan.columns.length;
    async function* body(): AsyncGenerator<Uint8Array> {
      try {
        for (;;) {
          const row = await cursor.peekValid();
          // A row the writer refuses would take the job past jobMaxBytes: it starts the next job.
          if (!row || !writer.write(padded(row.values, width))) break;
          cursor.take();
          rows += 1;
          yield* writer.takeChunks();
        }
        yield* writer.endFile();
      } catch (error) {
        sourceError = error;
        throw error;
      }
    }
    try {
      await uploadIngestData(client, job, body());
    } catch (error) {
      // Nothing of this job is processed before it is closed: abort it; its rows go into a new job.
      await abortOpenJob(deps, client, job.id, plan.object);
      state.inflight = undefined;
      state.position = from;
      await checkpoint(deps, state);
      if (sourceError !== undefined) throw sourceError;
      throw new TransientError(
        `Uploading ${rows} rows into Bulk job ${job.id} (${plan.object}) failed: ${(error as Error).message} The job was aborted; its rows are sent again in a new job.`,
        { object: plan.object, cause: error },
      );
    }
    const to = cursor.position;
    state.inflight = { kind: "job", jobId: job.id, from, to, rows };
    await checkpoint(deps, state);
    const closed = await closeJob(client, job.id, plan.object);
    state.jobs.push(jobEntry(state, closed, rows));
    state.position = to;
    state.inflight = undefined;
    await checkpoint(deps, state);
    deps.log.info("load: Bulk job submitted", {
      runId: state.runId,
      jobId: job.id,
      rows,
      bytes: writer.totals.bytes,
    });
    budget.end();
  }
  state.status = "submitting";
}
