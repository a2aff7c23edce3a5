// functions/core/load/: one inbound file's load, one file per step (claim, validate, plan, send, finish)
import { DataError, describeError, ReconciliationError } from "../../errors";
import { getIngestJob } from "../../salesforce/bulk-ingest";
import type { SalesforceClient } from "../../salesforce/client";
import { publishLoad, secondsBetween } from "../run-metrics";
import { releaseOwnClaim } from "./claim";
import { collectJob, collectJobs, isTerminal, pollJobs } from "./collect-results";
import { checkpoint, latestState } from "./journal";
import { isoNow, type LoadDeps, nowOf } from "./load-deps";
import { markFinished, markSending } from "./load-marker";
import type { LoadPlan } from "./load-plan";
import type { LoadState, LoadSummary } from "./load-state";
import { ResultSink } from "./result-sink";
import { fixedPlan, openRoundSource } from "./round-source";
import { endRound, TimeBudget } from "./rounds";
import { readCsvRecords } from "./row-codec";
import { RowCursor, type SourceItem, type SourceRow } from "./row-cursor";
import { partKey, planKey } from "./run-folder";
import { abortOpenJob, closeJob, jobEntry, sendBulk, sendStagedBulk } from "./send-bulk";
import { CHECK_BEFORE_RESEND, sendCollections } from "./send-collections";
import { stagedRows } from "./staged-jobs";
import {
  buildSummary,
  outcomeMessage,
  resultFiles,
  writeDryRunPlan,
  writeResultFiles,
  writeSummary,
} from "./summary";
import { checkReserve, readPlan, validatePass } from "./validate";

/**
 * The load's actions, one per state of the load state machine: submit (validate, then send), poll,
 * results, finish, and fail. Each takes the load state and returns the next one; see load-state.ts.
 */

export { type ClaimInput, claimLoad, type DuplicateLoad } from "./claim";

/** Run `work` with the Salesforce client, adding the API calls it spent to the state. */
async function withClient<T>(
  deps: LoadDeps,
  state: LoadState,
  work: (client: SalesforceClient) => Promise<T>,
): Promise<T> {
  const client = await deps.salesforce();
  const before = client.totalCalls;
  try {
    return await work(client);
  } finally {
    state.apiCalls += client.totalCalls - before;
  }
}

/**
 * Settle a step the checkpoint says was in flight when its invocation died: rows of a lost insert call
 * become unprocessed (their fate is unknown), other calls are simply sent again; a job that was not
 * fully uploaded is aborted (its rows go again), one that was is closed and kept.
 */
async function settleInflight(deps: LoadDeps, state: LoadState, client: SalesforceClient): Promise<void> {
  const inflight = state.inflight;
  if (!inflight) return;
  deps.log.warn("load: settling a step left in flight by an earlier invocation", {
    runId: state.runId,
    inflight,
  });
  if (inflight.kind === "collections") {
    if (state.target.operation === "insert") {
      const sink = new ResultSink(deps, state, await readPlan(deps, state));
      const { body } = await deps.store.stream(inflight.rowsKey);
      try {
        const records = readCsvRecords(body);
        await records.header();
        for await (const batch of records.rows()) {
          for (const fields of batch) await sink.unprocessed(CHECK_BEFORE_RESEND, fields);
        }
      } finally {
        body.destroy();
      }
      await sink.commit();
      state.position = inflight.to;
    } else {
      state.position = inflight.from;
    }
  } else if (inflight.to === undefined) {
    await abortOpenJob(deps, client, inflight.jobId, state.target.object);
    state.position = inflight.from;
  } else {
    let job = await getIngestJob(client, inflight.jobId, state.target.object);
    if (job.state === "Open") job = await closeJob(client, inflight.jobId, state.target.object);
    state.jobs.push(jobEntry(state, job, inflight.rows ?? 0));
    state.position = inflight.to;
  }
  state.inflight = undefined;
  await checkpoint(deps, state);
}

/** A file that cannot be loaded at all: summary.json says why and where; the claim ends failed. */
async function rejectFile(deps: LoadDeps, state: LoadState, error: DataError): Promise<void> {
  const summary = buildSummary(
    deps,
    state,
    "rejected",
    `${state.file.key} was rejected and nothing was sent to Salesforce: ${error.message}`,
  );
  summary.problem = {
    message: error.message,
    fix: 'Correct the file and upload it again. If the file was right and Salesforce was changed instead, start the load again by hand with "retry": true.',
  };
  if (error.line !== undefined) summary.problem.line = error.line;
  if (error.column !== undefined) summary.problem.column = error.column;
  summary.error = error.toJSON();
  await writeSummary(deps, summary);
  if (!state.dryRun)
    await deps.state.finishFile(
      { bucket: state.file.bucket, key: state.file.key, version: state.file.claimVersion },
      state.runId,
      { status: "failed", summaryKey: summary.files.summary },
      new Date(nowOf(deps)),
    );
  state.rejected = true;
  await checkpoint(deps, state);
  deps.log.warn("load: file rejected", { runId: state.runId, key: state.file.key, error: error.toJSON() });
}

async function* bufferedBatches(rows: SourceRow[]): AsyncGenerator<SourceItem[]> {
  yield rows.map((row) => ({ ok: true, row }));
}

/** Validate (first) and send rows; see validate.ts, send-collections.ts and send-bulk.ts. */
export async function submitLoad(
  deps: LoadDeps,
  payload: LoadState,
  remainingMs: () => number,
): Promise<LoadState> {
  const state = await latestState(deps, payload);
  if (state.status !== "submitting" && state.status !== "retrying") return state;
  await withClient(deps, state, async (client) => {
    await settleInflight(deps, state, client);
    const budget = TimeBudget.of(deps, remainingMs);
    let plan: LoadPlan;
    let buffered: SourceRow[] | undefined;
    if (state.phase === "validate") {
      try {
        ({ plan, buffered } = await validatePass(deps, state, client, budget));
      } catch (error) {
        if (error instanceof DataError) await rejectFile(deps, state, error);
        throw error;
      }
      if (state.phase === "validate") return;
      // A dry run sends nothing: finish writes its plan.
      if (state.dryRun) return;
      if (state.validRows === 0) {
        endRound(deps, state);
        return;
      }
    } else {
      plan = await readPlan(deps, state);
      if (state.round > 0 && state.position === 0) await checkReserve(deps, client);
    }
    // The lake's table will not know what this load changes: comparisons ask the org until it did.
    await markSending(deps, state);
    // Round 0 sends the rows validation kept in memory or staged (see staged-jobs.ts); a file it did
    // neither for (a small file whose send continues in a later invocation) is read again.
    const staged = state.round === 0 ? state.staged : undefined;
    if (staged !== undefined && state.api === "bulk") {
      await sendStagedBulk(deps, state, plan, client, budget);
    } else {
      const source = buffered
        ? bufferedBatches(buffered)
        : staged !== undefined
          ? stagedRows(deps, state, state.position)
          : openRoundSource(deps, state, fixedPlan(plan, state.file.key), state.position);
      const cursor = new RowCursor(source, state.position);
      try {
        if (state.api === "collections") await sendCollections(deps, state, plan, cursor, client, budget);
        else await sendBulk(deps, state, plan, cursor, client, budget);
      } finally {
        await cursor.close();
      }
    }
    if (state.status === "polling" || state.status === "finishing")
      state.timings.submittedAt ??= isoNow(deps);
  });
  return state;
}

export async function pollLoad(deps: LoadDeps, payload: LoadState): Promise<LoadState> {
  const state = await latestState(deps, payload);
  if (state.status !== "polling") return state;
  await withClient(deps, state, (client) => pollJobs(deps, state, client));
  return state;
}

export async function collectLoad(
  deps: LoadDeps,
  payload: LoadState,
  remainingMs: () => number,
): Promise<LoadState> {
  const state = await latestState(deps, payload);
  if (state.status !== "collecting" && state.status !== "polling") return state;
  const plan = await readPlan(deps, state);
  await withClient(deps, state, (client) =>
    collectJobs(deps, state, plan, client, TimeBudget.of(deps, remainingMs)),
  );
  return state;
}

/** Every row read must have exactly one final outcome (a dry run's: one planned fate, or rejected). */
export function reconcile(state: LoadState): void {
  const { read, succeeded, failed, unprocessed, rejected } = state.counts;
  const unchanged = state.counts.unchanged ?? 0;
  const planned = Object.values(state.planned ?? {}).reduce((sum, n) => sum + n, 0);
  const accounted = state.dryRun
    ? planned + rejected
    : succeeded + failed + unprocessed + rejected + unchanged;
  if (accounted !== read || state.retryRows !== 0) {
    const parts = state.dryRun
      ? `${planned} planned, ${rejected} rejected`
      : `${succeeded} succeeded, ${failed} failed, ${unprocessed} unprocessed, ${rejected} rejected, ${unchanged} unchanged`;
    throw new ReconciliationError(
      `The load of ${state.file.key} read ${read} rows but accounts for ${accounted} (${parts}${state.retryRows ? `, ${state.retryRows} still staged for retry` : ""}). Rows were lost or counted twice; the result files are incomplete. Report this as a bug, and check Salesforce before loading the file again.`,
      { object: state.target.object, code: "ROW_COUNT_MISMATCH" },
    );
  }
}

/** Reconcile, write the result files and summary.json, and record the outcome on the claim. */
export async function finishLoad(deps: LoadDeps, payload: LoadState): Promise<LoadSummary> {
  const state = await latestState(deps, payload);
  reconcile(state);
  const plan = await readPlan(deps, state);
  await writeResultFiles(deps, state, plan);
  const { counts } = state;
  state.timings.finishedAt = isoNow(deps);
  if (state.dryRun) {
    const summary = buildSummary(deps, state, "planned", outcomeMessage(state, "planned"));
    await writeDryRunPlan(deps, state, plan);
    await writeSummary(deps, summary);
    deps.log.info("load: dry run planned", { runId: state.runId, planned: state.planned, counts });
    return summary;
  }
  await markFinished(deps, state);
  const outcome = counts.succeeded + (counts.unchanged ?? 0) === counts.read ? "succeeded" : "partial";
  const summary = buildSummary(deps, state, outcome, outcomeMessage(state, outcome));
  await writeSummary(deps, summary);
  await deps.state.finishFile(
    { bucket: state.file.bucket, key: state.file.key, version: state.file.claimVersion },
    state.runId,
    { status: outcome === "succeeded" ? "succeeded" : "partial", summaryKey: summary.files.summary },
    new Date(nowOf(deps)),
  );
  deps.log.info("load: finished", { runId: state.runId, outcome, counts, apiCalls: state.apiCalls });
  publishLoad(deps.metrics, state.target.object, {
    counts,
    apiCalls: state.apiCalls,
    durationSeconds: secondsBetween(state.timings.claimedAt, state.timings.finishedAt),
  });
  return summary;
}

export const WAITING_FOR_RETRY =
  "This row failed for a transient reason (a locked record, a limit, an outage) and was waiting to be sent again when the load failed. Send it again.";

/** Rows staged for a round that will not come: reported as unprocessed. */
async function unstage(deps: LoadDeps, state: LoadState, plan: LoadPlan): Promise<void> {
  if (state.retryRows === 0) return;
  const sink = new ResultSink(deps, state, plan, true);
  for (let part = 0; part < state.parts.retry; part++) {
    const { body } = await deps.store.stream(partKey(state, "retry", part, state.round + 1));
    try {
      const records = readCsvRecords(body);
      await records.header();
      for await (const batch of records.rows()) {
        for (const fields of batch) await sink.unprocessed(WAITING_FOR_RETRY, fields);
      }
    } finally {
      body.destroy();
    }
  }
  await sink.commit();
  state.retryRows = 0;
  state.parts.retry = 0;
}

function isLoadState(value: unknown): value is LoadState {
  const state = value as Partial<LoadState> | undefined;
  return (
    typeof state?.runId === "string" &&
    typeof state.file === "object" &&
    typeof state.resultsFolder === "string"
  );
}

/**
 * After a failure the state machine caught: abort jobs still Open (never one that may be writing),
 * write what results there are and a summary naming the error, and end the claim failed.
 */
export async function failLoad(
  deps: LoadDeps,
  payload: unknown,
  error: { name: string; message: string },
  runId?: string,
): Promise<LoadSummary | Record<string, unknown>> {
  if (!isLoadState(payload)) {
    // The claim step itself failed, maybe after writing its claim (a Lambda that timed out on return):
    // a claim of this run is marked failed, or the file would stay "loading" and no retry could take it.
    let released = "";
    if (runId !== undefined) {
      try {
        const { caught: _caught, ...request } = payload as Record<string, unknown>;
        const claim = await releaseOwnClaim(deps, request, runId, new Date(nowOf(deps)));
        if (claim)
          released = ` Its claim on ${claim.key} is marked failed: start the load again with "retry": true.`;
      } catch (failure) {
        released = ` Its claim could not be checked: ${describeError(failure).message}`;
      }
    }
    deps.log.error("load: failed before the file was claimed", { error, runId });
    return {
      status: "finished",
      outcome: "failed",
      message: `The load could not start: ${error.message}${released}`,
      error,
    };
  }
  const state = await latestState(deps, payload);
  const claim = await deps.state.getFile({
    bucket: state.file.bucket,
    key: state.file.key,
    version: state.file.claimVersion,
  });
  if (claim?.runId === state.runId && (claim.status === "succeeded" || claim.status === "partial")) {
    // finish recorded the outcome and its answer was lost (a Lambda that timed out on return): the load
    // is done. Recording it as failed now would invite a retry that sends every row again.
    const written = claim.summaryKey ? await deps.store.get(claim.summaryKey) : undefined;
    if (written) return JSON.parse(new TextDecoder().decode(written)) as LoadSummary;
  }
  if (state.rejected) {
    // submit already wrote the rejection's summary: keep it.
    const written = await deps.store.get(resultFiles(state).summary);
    if (written) return JSON.parse(new TextDecoder().decode(written)) as LoadSummary;
    const summary = buildSummary(deps, state, "rejected", `${state.file.key} was rejected: ${error.message}`);
    summary.error = error;
    return summary;
  }
  const problems: string[] = [];
  const attempt = async (what: string, work: () => Promise<void>) => {
    try {
      await work();
    } catch (failure) {
      problems.push(`${what}: ${describeError(failure).message}`);
      deps.log.error(`load: ${what} failed while recording a failure`, {
        runId: state.runId,
        error: describeError(failure),
      });
    }
  };
  await attempt("aborting open jobs", async () => {
    await withClient(deps, state, async (client) => {
      const inflight = state.inflight;
      if (inflight?.kind === "job") {
        const info = await getIngestJob(client, inflight.jobId, state.target.object);
        if (info.state === "Open") await abortOpenJob(deps, client, inflight.jobId, state.target.object);
        else if (inflight.to !== undefined) state.jobs.push(jobEntry(state, info, inflight.rows ?? 0));
      }
      for (const job of state.jobs) {
        if (job.state === "Open") {
          const aborted = await abortOpenJob(deps, client, job.id, state.target.object);
          if (aborted) job.state = aborted.state;
        }
      }
    });
  });
  if (state.inflight?.kind === "collections" && state.target.operation === "insert") {
    await attempt("recording rows whose insert outcome is unknown", () =>
      withClient(deps, state, (client) => settleInflight(deps, state, client)),
    );
  }
  state.inflight = undefined;
  await markFinished(deps, state);
  // Before validation made a plan nothing was sent and there are no results to write.
  const plan = (await deps.store.head(planKey(state))) ? await readPlan(deps, state) : undefined;
  if (plan) {
    await attempt("collecting the results of finished jobs", () =>
      withClient(deps, state, async (client) => {
        for (const job of state.jobs) {
          if (job.collected) continue;
          if (!isTerminal(job.state)) {
            const info = await getIngestJob(client, job.id, state.target.object);
            job.state = info.state;
            if (info.errorMessage) job.errorMessage = info.errorMessage;
          }
          if (isTerminal(job.state)) await collectJob(deps, state, plan, job, client, true);
        }
      }),
    );
    await attempt("reporting rows that were waiting to be retried", () => unstage(deps, state, plan));
    await attempt("writing the result files", () => writeResultFiles(deps, state, plan));
  }
  state.timings.finishedAt = isoNow(deps);
  const pending = state.jobs.filter((job) => !job.collected);
  let message = `${outcomeMessage(state, "failed")} Error: ${error.name}: ${error.message}`;
  if (pending.length > 0) {
    message += ` Bulk jobs whose results were not collected: ${pending.map((job) => `${job.id} (${job.state}${isTerminal(job.state) ? "" : ", may still be writing"})`).join(", ")}.`;
  }
  if (problems.length > 0) message += ` Also: ${problems.join("; ")}.`;
  const summary = buildSummary(deps, state, "failed", message);
  summary.error = error;
  await writeSummary(deps, summary);
  if (!state.dryRun)
    await deps.state.finishFile(
      { bucket: state.file.bucket, key: state.file.key, version: state.file.claimVersion },
      state.runId,
      { status: "failed", summaryKey: summary.files.summary },
      new Date(nowOf(deps)),
    );
  deps.log.error("load: failed", { runId: state.runId, error, counts: state.counts });
  publishLoad(deps.metrics, state.target.object, {
    counts: state.counts,
    apiCalls: state.apiCalls,
    durationSeconds: secondsBetween(state.timings.claimedAt, state.timings.finishedAt),
  });
  return summary;
}
