import { ConfigurationError, DataError } from "../../errors";
import type { SalesforceClient } from "../../salesforce/client";
import { checkLimitReserve } from "../../salesforce/limits";
import { limitsObserver } from "../run-metrics";
import { DIFF_BATCH_ROWS, RowDiffer } from "./diff";
import { inboundFormatOf } from "./inbound-file";
import { checkpoint } from "./journal";
import { isoNow, type LoadDeps } from "./load-deps";
import { buildLoadPlan, type LoadPlan } from "./load-plan";
import type { LoadState } from "./load-state";
import { ResultSink } from "./result-sink";
import { fixedPlan, headerFits, openRoundSource, type PlanFor, readInboundHeader } from "./round-source";
import { chooseApi, type TimeBudget } from "./rounds";
import type { SourceRow } from "./row-cursor";
import { planKey } from "./run-folder";
import { JobStager } from "./staged-jobs";

/**
 * Validation reads the whole file once before anything is sent, so a file that turns out to be broken
 * half-way (an unterminated quote, invalid UTF-8 at row 900,000) is rejected whole and Salesforce never
 * sees a part of it. Invalid rows of a readable file go to rejected.csv on the way. This is the only
 * time the file is parsed: small files keep their valid rows in memory (at most collectionsMaxRows of
 * them, when validated in one invocation); all others stage theirs as Bulk job files (staged-jobs.ts),
 * which are sent without reading the file again.
 */

const decoder = new TextDecoder();

/** Check the org's daily allowance before a round sends anything. */
export async function checkReserve(deps: LoadDeps, client: SalesforceClient): Promise<void> {
  await checkLimitReserve(
    client,
    { dailyApiRequests: deps.reserve.dailyApiRequests, dailyBulkBatches: deps.reserve.dailyBulkBatches },
    limitsObserver(deps.metrics),
  );
}

export async function readPlan(deps: LoadDeps, state: LoadState): Promise<LoadPlan> {
  const bytes = await deps.store.get(planKey(state));
  if (bytes === undefined) {
    throw new ConfigurationError(
      `The load plan ${planKey(state)} is missing; it was deleted during the load. Start the load again with "retry": true.`,
    );
  }
  return JSON.parse(decoder.decode(bytes)) as LoadPlan;
}

async function savePlan(deps: LoadDeps, state: LoadState, plan: LoadPlan): Promise<void> {
  await deps.store.put(planKey(state), JSON.stringify(plan), { contentType: "application/json" });
}

async function createPlan(deps: LoadDeps, state: LoadState, client: SalesforceClient): Promise<LoadPlan> {
  const format = inboundFormatOf(state.file.key);
  const header = await readInboundHeader(deps, state);
  if (header.length === 0) {
    throw new DataError(
      `No line of ${state.file.key} is a JSON object, so there is nothing to load. Write one object per line, like {"Name": "Acme"}.`,
      { line: 1, code: "NO_ROWS" },
    );
  }
  const plan = await buildLoadPlan(client, state.target, header, format, deps.blockFields);
  await savePlan(deps, state, plan);
  return plan;
}

/**
 * The plan while validating: JSON lines may name new columns on any line; each new column is checked
 * against the describe like the first ones, and the plan saved for the invocations that follow.
 */
function growingPlan(deps: LoadDeps, state: LoadState, client: SalesforceClient, start: LoadPlan) {
  const holder = { plan: start };
  const planFor: PlanFor = async (header) => {
    if (headerFits(header, holder.plan)) return holder.plan;
    if (
      holder.plan.format !== "jsonl" ||
      !holder.plan.columns.every((column, index) => header[index] === column.header)
    ) {
      return fixedPlan(holder.plan, state.file.key)(header);
    }
    holder.plan = await buildLoadPlan(
      client,
      state.target,
      [...header],
      holder.plan.format,
      deps.blockFields,
    );
    await savePlan(deps, state, holder.plan);
    return holder.plan;
  };
  return { holder, planFor };
}

/**
 * One validation invocation. Returns the valid rows when the whole file was validated in this
 * invocation and they fit collectionsMaxRows (to be sent straight away), else undefined.
 */
export async function validatePass(
  deps: LoadDeps,
  state: LoadState,
  client: SalesforceClient,
  budget: TimeBudget,
): Promise<{ plan: LoadPlan; buffered?: SourceRow[] }> {
  const fromStart = state.position === 0;
  if (fromStart) await checkReserve(deps, client);
  const { holder, planFor } = growingPlan(
    deps,
    state,
    client,
    fromStart ? await createPlan(deps, state, client) : await readPlan(deps, state),
  );
  const limit = deps.settings.collectionsMaxRows;
  // Rows compared with their records (skipUnchanged) are staged, so a send that continues in a later
  // invocation never reads the file again and sends the unchanged ones; a dry run keeps none.
  const comparing = state.skipUnchanged === true || state.dryRun === true;
  const keep = fromStart && state.target.operation !== "hardDelete" && !comparing;
  let buffered: SourceRow[] | undefined = keep ? [] : undefined;
  let sink = new ResultSink(deps, state, holder.plan);
  const stager = new JobStager(deps, state);
  /** The rows kept in memory go to the stager once they cannot all be sent from memory. */
  const stageBuffered = async () => {
    for (const row of buffered ?? []) await stager.write(holder.plan, row.values);
    buffered = undefined;
  };
  let position = state.position;
  let valid = 0;
  let finished = true;
  /** A valid row to send: kept in memory while they may all be sent from there, else staged. */
  const accept = async (row: SourceRow) => {
    if (state.dryRun) return;
    if (buffered !== undefined && buffered.length < limit) buffered.push(row);
    else {
      if (buffered !== undefined) await stageBuffered();
      const handing = stager.write(holder.plan, row.values);
      if (handing !== undefined) await handing;
    }
  };
  let differ: RowDiffer | undefined;
  const pending: SourceRow[] = [];
  /** Compare the rows waiting for it: a dry run plans each; skipUnchanged sends those that change a field. */
  const compare = async () => {
    if (pending.length === 0) return;
    if (differ === undefined || differ.plan !== holder.plan) {
      differ = await RowDiffer.open(deps, state, holder.plan, client);
    }
    const verdicts = await differ.verdicts(pending);
    for (const [index, row] of pending.entries()) {
      const verdict = verdicts[index] ?? { fate: "update", changed: [] };
      const skip = state.skipUnchanged === true && verdict.fate === "unchanged";
      if (state.dryRun)
        await sink.planned(row.line, verdict.fate, verdict.id ?? "", verdict.changed, row.values);
      else if (skip) {
        await sink.unchanged(verdict.id ?? "", row.values);
        continue;
      }
      if (!skip) valid += 1;
      await accept(row);
    }
    pending.length = 0;
  };
  const source = openRoundSource(deps, state, planFor, state.position);
  try {
    for (;;) {
      if (!budget.hasTimeForAnother()) {
        finished = false;
        break;
      }
      budget.begin();
      const next = await source.next();
      if (next.done) break;
      if (sink.plan !== holder.plan) {
        // Rejected rows go under the header they were read with; the result file lines them up.
        await compare();
        await sink.commit();
        sink = new ResultSink(deps, state, holder.plan);
      }
      for (const item of next.value) {
        if (item.ok) {
          position = item.row.index + 1;
          if (comparing) pending.push(item.row);
          else {
            valid += 1;
            await accept(item.row);
          }
          continue;
        }
        const { reject } = item;
        position = reject.index + 1;
        if (deps.settings.failOnFirstError) {
          throw new DataError(
            `Line ${reject.line}: ${reject.reason} The load stops at the first invalid row (failOnFirstError); nothing was sent. Correct the row and upload the file again.`,
            { line: reject.line, code: "INVALID_ROW" },
          );
        }
        await sink.rejected(reject.line, reject.reason, reject.raw);
      }
      if (pending.length >= DIFF_BATCH_ROWS) await compare();
      budget.end();
    }
    await compare();
    // Rows kept in memory are lost with the invocation: when validation continues in another one,
    // they are staged like the rest.
    if (!finished) await stageBuffered();
    if (buffered === undefined) await stager.commit();
  } catch (error) {
    await stager.abort(error);
    await sink.abort(error);
    throw error;
  } finally {
    await source.return(undefined);
  }
  await sink.commit();
  state.position = position;
  state.validRows = (state.validRows ?? 0) + valid;
  if (!finished) {
    state.status = "submitting";
    await checkpoint(deps, state);
    return { plan: holder.plan };
  }
  state.counts.read = position;
  state.sourceRows = position;
  if (position === 0) {
    throw new DataError(
      `${state.file.key} has a header but no rows: there is nothing to load. Add the rows below the header.`,
      { line: 2, code: "NO_ROWS" },
    );
  }
  state.phase = "send";
  state.position = 0;
  state.api = chooseApi(state.target, state.validRows, deps.settings);
  if (state.dryRun) state.status = "finishing";
  state.timings.validatedAt = isoNow(deps);
  await checkpoint(deps, state);
  deps.log.info("load: file validated", {
    runId: state.runId,
    rows: state.counts.read,
    valid: state.validRows,
    rejected: state.counts.rejected,
    api: state.api,
    unchanged: state.counts.unchanged,
    diffSource: state.diffSource?.source,
  });
  const result: { plan: LoadPlan; buffered?: SourceRow[] } = { plan: holder.plan };
  if (buffered && state.api === "collections") result.buffered = buffered;
  return result;
}
