import { describeError, ReconciliationError, SaddleError, TransientError } from "../../errors";
import {
  deleteIngestJob,
  getIngestJob,
  type IngestResultKind,
  openIngestResults,
} from "../../salesforce/bulk-ingest";
import type { SalesforceClient } from "../../salesforce/client";
import { checkpoint } from "./journal";
import type { LoadDeps } from "./load-deps";
import type { LoadPlan } from "./load-plan";
import type { IngestJobState, LoadJob, LoadState } from "./load-state";
import { ResultSink } from "./result-sink";
import { endRound, type TimeBudget } from "./rounds";
import { readCsvRecords } from "./row-codec";

/**
 * Polling and collecting Bulk jobs. Polling asks each unfinished job once and says how long to wait
 * (the state machine waits, never the Lambda); it never aborts or deletes a job that may still be
 * writing. Collecting streams each finished job's three result files into result parts and checks that
 * every uploaded row came back exactly once.
 */

const TERMINAL: ReadonlySet<IngestJobState> = new Set(["JobComplete", "Failed", "Aborted"]);

export function isTerminal(state: IngestJobState): boolean {
  return TERMINAL.has(state);
}

export async function pollJobs(deps: LoadDeps, state: LoadState, client: SalesforceClient): Promise<void> {
  for (const job of state.jobs) {
    if (isTerminal(job.state)) continue;
    const info = await getIngestJob(client, job.id, state.target.object);
    job.state = info.state;
    if (info.errorMessage) job.errorMessage = info.errorMessage;
  }
  state.polls += 1;
  if (state.jobs.every((job) => isTerminal(job.state))) {
    state.status = "collecting";
    return;
  }
  state.status = "polling";
  const { pollFirstSeconds, pollMaxSeconds } = deps.settings;
  state.waitSeconds = Math.min(pollMaxSeconds, Math.max(pollFirstSeconds, state.waitSeconds * 2));
}

interface ResultColumns {
  id: number;
  detail: number;
  inputs: number[];
}

/** Where the sf__ columns and each of the plan's columns sit in a result file's header. */
function resultColumns(
  header: string[],
  plan: LoadPlan,
  detail: string | undefined,
  job: string,
): ResultColumns {
  const position = new Map(header.map((name, index) => [name.toLowerCase(), index]));
  const inputs = plan.columns.map((column) => {
    const index = position.get(column.name.toLowerCase());
    if (index === undefined) {
      throw new TransientError(
        `The results of Bulk job ${job} lack the column ${column.name} (header: ${header.join(",")}); they are read again.`,
      );
    }
    return index;
  });
  return {
    id: position.get("sf__id") ?? -1,
    detail: detail === undefined ? -1 : (position.get(detail.toLowerCase()) ?? -1),
    inputs,
  };
}

async function eachResult(
  client: SalesforceClient,
  state: LoadState,
  plan: LoadPlan,
  job: LoadJob,
  kind: IngestResultKind,
  handle: (id: string, detail: string, inputs: string[]) => Promise<void>,
): Promise<number> {
  const body = await openIngestResults(client, { id: job.id, object: state.target.object }, kind);
  const detail =
    kind === "successfulResults" ? "sf__Created" : kind === "failedResults" ? "sf__Error" : undefined;
  let rows = 0;
  try {
    const records = readCsvRecords(body);
    const header = await records.header();
    const columns = resultColumns(header, plan, detail, job.id);
    for await (const batch of records.rows()) {
      for (const fields of batch) {
        rows += 1;
        await handle(
          fields[columns.id] ?? "",
          fields[columns.detail] ?? "",
          columns.inputs.map((index) => fields[index] ?? ""),
        );
      }
    }
  } catch (error) {
    await body.cancel().catch(() => undefined);
    if (error instanceof SaddleError) throw error;
    // The connection dropped while the file streamed in (fetch's "terminated"): read it again.
    throw new TransientError(
      `Reading the ${kind} of Bulk job ${job.id} (${state.target.object}) was cut short: ${(error as Error).message}. The job's results are read again.`,
      { object: state.target.object, cause: error },
    );
  }
  return rows;
}

export async function collectJob(
  deps: LoadDeps,
  state: LoadState,
  plan: LoadPlan,
  job: LoadJob,
  client: SalesforceClient,
  final = false,
): Promise<void> {
  const sink = new ResultSink(deps, state, plan, final);
  try {
    const succeeded = await eachResult(client, state, plan, job, "successfulResults", (id, created, inputs) =>
      sink.success(id, created.toLowerCase() === "true", inputs),
    );
    const failed = await eachResult(client, state, plan, job, "failedResults", (id, error, inputs) =>
      sink.failure(id, error, inputs),
    );
    const reason = `Bulk job ${job.id} ended ${job.state}${job.errorMessage ? ` (${job.errorMessage})` : ""} before processing this row.`;
    const unprocessed = await eachResult(
      client,
      state,
      plan,
      job,
      "unprocessedrecords",
      (_id, _detail, inputs) => sink.notProcessed(reason, "JOB_FAILED", inputs),
    );
    if (succeeded + failed + unprocessed !== job.rows) {
      throw new ReconciliationError(
        `Bulk job ${job.id} (${state.target.object}) took ${job.rows} rows but its results hold ${succeeded} successful, ${failed} failed and ${unprocessed} unprocessed (${succeeded + failed + unprocessed}). Rows were lost or duplicated; check the job in Salesforce (Setup > Bulk Data Load Jobs).`,
        { object: state.target.object },
      );
    }
  } catch (error) {
    await sink.abort(error);
    throw error;
  }
  await sink.commit();
  job.collected = true;
}

/** Collect finished jobs until all are collected (then end the round) or time runs short. */
export async function collectJobs(
  deps: LoadDeps,
  state: LoadState,
  plan: LoadPlan,
  client: SalesforceClient,
  budget: TimeBudget,
): Promise<void> {
  for (const job of state.jobs) {
    if (job.collected || !isTerminal(job.state)) continue;
    if (!budget.hasTimeForAnother()) {
      state.status = "collecting";
      return;
    }
    budget.begin();
    await collectJob(deps, state, plan, job, client);
    await checkpoint(deps, state);
    // Its results are in S3 now: the job is not left behind in the org (best effort; Salesforce
    // removes finished jobs after 7 days anyway).
    await deleteIngestJob(client, job.id, state.target.object).catch((error: unknown) =>
      deps.log.warn("load: could not delete the finished Bulk job", {
        jobId: job.id,
        error: describeError(error),
      }),
    );
    budget.end();
  }
  if (state.jobs.some((job) => !isTerminal(job.state))) {
    state.status = "polling";
    return;
  }
  endRound(deps, state);
}
