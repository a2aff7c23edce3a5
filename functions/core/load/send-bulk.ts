import { ReconciliationError, SaddleError, TransientError } from "../../errors";
import {
  createIngestJob,
  getIngestJob,
  type IngestJob,
  setIngestJobState,
  uploadIngestData,
} from "../../salesforce/bulk-ingest";
import type { RequestBody, SalesforceClient } from "../../salesforce/client";
import { checkpoint } from "./journal";
import type { LoadDeps } from "./load-deps";
import type { LoadPlan } from "./load-plan";
import type { LoadJob, LoadState } from "./load-state";
import { endRound, type TimeBudget } from "./rounds";
import { bulkUploadWriter, padded } from "./row-codec";
import { RowCursor } from "./row-cursor";
import { stagedJobKey } from "./run-folder";
import { locateStaged, stagedRows, stagedStart } from "./staged-jobs";

/**
 * Sending a round through Bulk API 2.0 ingest: one job per `jobMaxBytes` of CSV, uploaded in one piece
 * (a staged job file copied as it is, or rows from the source written as they stream), then closed.
 * Checkpoints bracket each job: a job whose upload did not complete is aborted and its rows go into a
 * new job; a close whose answer was lost is settled by reading the job's state.
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

/** What one job uploads: its body, and once the upload is answered, the rows [from, to) it held. */
interface JobBody {
  body: RequestBody;
  sent(): { to: number; rows: number };
  /** An error of the body's own source (the file), which is thrown as it is rather than as transient. */
  sourceError(): unknown;
  release(): void;
}

/**
 * One job, bracketed by checkpoints: created and recorded in flight, uploaded (a failed upload aborts
 * the job and its rows go into a new one), recorded as holding rows [from, to), closed, and listed.
 */
async function submitJob(
  deps: LoadDeps,
  state: LoadState,
  plan: LoadPlan,
  client: SalesforceClient,
  open: () => Promise<JobBody>,
): Promise<void> {
  const from = state.position;
  const job = await createIngestJob(client, {
    object: plan.object,
    operation: plan.operation,
    externalIdFieldName: plan.externalIdField,
  });
  state.inflight = { kind: "job", jobId: job.id, from };
  await checkpoint(deps, state);

  let upload: JobBody | undefined;
  try {
    upload = await open();
    await uploadIngestData(client, job, upload.body);
  } catch (error) {
    // Nothing of this job is processed before it is closed: abort it; its rows go into a new job.
    await abortOpenJob(deps, client, job.id, plan.object);
    state.inflight = undefined;
    state.position = from;
    await checkpoint(deps, state);
    if (upload === undefined) throw error;
    const sourceError = upload.sourceError();
    if (sourceError !== undefined) throw sourceError;
    throw new TransientError(
      `Uploading the rows of Bulk job ${job.id} (${plan.object}) failed: ${(error as Error).message} The job was aborted; its rows are sent again in a new job.`,
      { object: plan.object, cause: error },
    );
  } finally {
    upload?.release();
  }
  const { to, rows } = upload.sent();
  state.inflight = { kind: "job", jobId: job.id, from, to, rows };
  await checkpoint(deps, state);
  const closed = await closeJob(client, job.id, plan.object);
  state.jobs.push(jobEntry(state, closed, rows));
  state.position = to;
  state.inflight = undefined;
  await checkpoint(deps, state);
  deps.log.info("load: Bulk job submitted", { runId: state.runId, jobId: job.id, rows });
}

/** A job's rows taken from the cursor and written as they stream, up to jobMaxBytes of CSV. */
function rowsBody(cursor: RowCursor, plan: LoadPlan, jobMaxBytes: number): JobBody {
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
  return {
    body: body(),
    sent: () => ({ to: cursor.position, rows }),
    sourceError: () => sourceError,
    release: () => undefined,
  };
}

/** Every row of the round is in a job: wait for the jobs, or end the round when none is left. */
function allSubmitted(deps: LoadDeps, state: LoadState): void {
  if (state.jobs.some((job) => !job.collected)) {
    state.status = "polling";
    state.waitSeconds = deps.settings.pollFirstSeconds;
  } else {
    endRound(deps, state);
  }
}

/**
 * Round 0 of a staged file (see staged-jobs.ts): each staged job file is one job, its bytes streamed
 * from S3 into the upload as they are. Files staged before a JSON lines file revealed its last column
 * lack that column: their rows are written again under the whole header, as many as one job takes.
 */
export async function sendStagedBulk(
  deps: LoadDeps,
  state: LoadState,
  plan: LoadPlan,
  client: SalesforceClient,
  budget: TimeBudget,
): Promise<void> {
  const staged = state.staged ?? [];
  const width = plan.columns.length;
  while (budget.hasTimeForAnother()) {
    budget.begin();
    const { index, offset } = locateStaged(staged, state.position);
    const next = staged[index];
    if (next === undefined) {
      allSubmitted(deps, state);
      return;
    }
    if (next.columns === width) {
      if (offset !== 0) {
        throw new ReconciliationError(
          `Load position ${state.position} falls inside staged job ${index}, which is sent whole; this is a bug. Start the load again with "retry": true.`,
          { object: plan.object },
        );
      }
      const to = state.position + next.rows;
      await submitJob(deps, state, plan, client, async () => {
        const { body } = await deps.store.stream(stagedJobKey(state, index));
        return {
          body,
          sent: () => ({ to, rows: next.rows }),
          sourceError: () => undefined,
          release: () => body.destroy(),
        };
      });
    } else {
      let end = index;
      while (end < staged.length && staged[end]?.columns !== width) end += 1;
      const until = stagedStart(staged, end);
      const cursor = new RowCursor(stagedRows(deps, state, state.position, until), state.position);
      try {
        await submitJob(deps, state, plan, client, async () =>
          rowsBody(cursor, plan, deps.settings.jobMaxBytes),
        );
      } finally {
        await cursor.close();
      }
    }
    budget.end();
  }
  state.status = "submitting";
}

export async function sendBulk(
  deps: LoadDeps,
  state: LoadState,
  plan: LoadPlan,
  cursor: RowCursor,
  client: SalesforceClient,
  budget: TimeBudget,
): Promise<void> {
  while (budget.hasTimeForAnother()) {
    budget.begin();
    if ((await cursor.peekValid()) === undefined) {
      state.position = cursor.position;
      allSubmitted(deps, state);
      return;
    }
    state.position = cursor.position;
    await submitJob(deps, state, plan, client, async () => rowsBody(cursor, plan, deps.settings.jobMaxBytes));
    budget.end();
  }
  state.status = "submitting";
}
