import { ConfigurationError, RateLimitError, SaddleError, TransientError } from "../../errors";
import type { SalesforceClient } from "../../salesforce/client";
import { COLLECTIONS_LIMIT, type CollectionsResult, collections } from "../../salesforce/collections";
import { checkpoint } from "./journal";
import type { LoadDeps } from "./load-deps";
import type { LoadPlan } from "./load-plan";
import type { LoadState } from "./load-state";
import { partColumns, ResultSink, sfErrorText } from "./result-sink";
import { endRound, MAX_STALLS, type TimeBudget } from "./rounds";
import { CsvPartWriter, sfTextToJson } from "./row-codec";
import type { RowCursor, SourceRow } from "./row-cursor";
import { inflightRowsKey } from "./run-folder";

/**
 * Sending a round through sObject Collections: 200 rows a call, `allOrNone=false`, one result per row
 * in input order. Each call is bracketed by checkpoints, and an insert's rows are written to S3 before
 * the call: if the call's answer is lost (connection dropped, Lambda died), those rows are reported as
 * unprocessed with advice to check Salesforce first — an insert is never repeated blindly.
 */

export const CHECK_BEFORE_RESEND =
  "UNKNOWN_OUTCOME: the connection to Salesforce was lost while this row was being inserted, so whether it was created is unknown. Check Salesforce for it before sending it again.";

export type CallOutcome =
  | { kind: "results"; results: CollectionsResult[] }
  /** Salesforce refused the call before doing anything: send the same rows again later. */
  | { kind: "notProcessed"; error: SaddleError }
  /** The call may or may not have been carried out. */
  | { kind: "unknown"; error: SaddleError }
  /** Salesforce refused the request itself (4xx): every row of it fails with that error. */
  | { kind: "refused"; error: ConfigurationError };

export function classifyCallError(error: unknown): CallOutcome {
  if (error instanceof RateLimitError) return { kind: "notProcessed", error };
  if (error instanceof TransientError) {
    // A Salesforce 503 SERVER_UNAVAILABLE or a 401 is an answer given before any work; a dropped
    // connection, a timeout or a bare 5xx from a proxy is not.
    if (error.code === "SERVER_UNAVAILABLE" || error.status === 401 || error.code === "INVALID_SESSION_ID") {
      return { kind: "notProcessed", error };
    }
    return { kind: "unknown", error };
  }
  if (error instanceof ConfigurationError) {
    // No status: the answer came but did not match the request (e.g. too few results).
    if (error.status === undefined) return { kind: "unknown", error };
    return { kind: "refused", error };
  }
  throw error;
}

/** One row as a collections record: typed JSON values, relationship columns as nested parent references. */
export function collectionsRecord(plan: LoadPlan, row: SourceRow): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  plan.columns.forEach((column, index) => {
    const value = row.values[index];
    if (value === undefined) return;
    const { relationship } = column;
    if (relationship) {
      if (value === null) record[relationship.referenceField] = null;
      else
        record[relationship.name] = {
          attributes: { type: relationship.object },
          [column.field.name]: sfTextToJson(column, value),
        };
      return;
    }
    record[column.name] = value === null ? null : sfTextToJson(column, value);
  });
  return record;
}

function idOf(plan: LoadPlan, row: SourceRow): string {
  const value = plan.idColumn >= 0 ? row.values[plan.idColumn] : undefined;
  return typeof value === "string" ? value : "";
}

async function takeChunk(cursor: RowCursor): Promise<SourceRow[]> {
  const rows: SourceRow[] = [];
  while (rows.length < COLLECTIONS_LIMIT) {
    const row = await cursor.nextValid();
    if (!row) break;
    rows.push(row);
  }
  return rows;
}

/** Record one call's outcome into the sink; returns whether the rows are done with (position may advance). */
export async function recordCall(
  sink: ResultSink,
  plan: LoadPlan,
  rows: SourceRow[],
  outcome: CallOutcome,
): Promise<boolean> {
  const texts = (row: SourceRow) => row.values;
  switch (outcome.kind) {
    case "results":
      for (const [index, result] of outcome.results.entries()) {
        const row = rows[index] as SourceRow;
        if (result.success) {
          const created = plan.operation === "insert" || result.created === true;
          await sink.success(result.id ?? idOf(plan, row), created, texts(row));
        } else {
          await sink.failure(result.id ?? idOf(plan, row), sfErrorText(result.errors), texts(row));
        }
      }
      return true;
    case "refused": {
      const error = outcome.error;
      const text = sfErrorText([{ statusCode: error.code ?? "REQUEST_REFUSED", message: error.message }]);
      for (const row of rows) await sink.failure(idOf(plan, row), text, texts(row));
      return true;
    }
    case "unknown":
      if (plan.operation !== "insert") return false;
      for (const row of rows) await sink.unprocessed(CHECK_BEFORE_RESEND, texts(row));
      return true;
    case "notProcessed":
      return false;
  }
}

/**
 * Send rows from the cursor until the round's source is exhausted or time runs short. Sets
 * `state.status`: `submitting` (more to send), `retrying` (paused: a limit or an outage), or what
 * `endRound` decides.
 */
export async function sendCollections(
  deps: LoadDeps,
  state: LoadState,
  plan: LoadPlan,
  cursor: RowCursor,
  client: SalesforceClient,
  budget: TimeBudget,
): Promise<void> {
  while (budget.hasTimeForAnother()) {
    budget.begin();
    const from = state.position;
    const rows = await takeChunk(cursor);
    if (rows.length === 0) {
      state.position = cursor.position;
      endRound(deps, state);
      return;
    }
    const to = cursor.position;
    if (plan.operation === "insert") {
      const rowsKey = inflightRowsKey(state, state.seq + 1);
      const inflightRows = new CsvPartWriter(deps.store, rowsKey, partColumns("retry", plan));
      for (const row of rows) await inflightRows.write(row.values);
      await inflightRows.close();
      state.inflight = { kind: "collections", from, to, rowsKey, rows: rows.length };
      await checkpoint(deps, state);
    }
    let outcome: CallOutcome;
    try {
      const results = await collections(client, {
        object: plan.object,
        operation: plan.operation as "insert" | "update" | "upsert" | "delete",
        records: rows.map((row) => collectionsRecord(plan, row)),
        externalIdField: plan.externalIdField,
      });
      outcome = { kind: "results", results };
    } catch (error) {
      outcome = classifyCallError(error);
      deps.log.warn("load: a collections call failed", {
        runId: state.runId,
        outcome: outcome.kind,
        rows: rows.length,
        error: error instanceof SaddleError ? error.toJSON() : String(error),
      });
    }
    const sink = new ResultSink(deps, state, plan);
    const done = await recordCall(sink, plan, rows, outcome);
    await sink.commit();
    state.inflight = undefined;
    if (!done) {
      // Nothing happened in Salesforce (or it is safe to do again): the same rows go again after a pause.
      state.position = from;
      state.stalls += 1;
      if (state.stalls > MAX_STALLS && "error" in outcome) throw outcome.error;
      state.status = "retrying";
      state.waitSeconds = Math.min(
        900,
        Math.max(1, deps.settings.retryWaitSeconds) * 2 ** (state.stalls - 1),
      );
      await checkpoint(deps, state);
      return;
    }
    state.position = to;
    state.stalls = 0;
    await checkpoint(deps, state);
    budget.end();
  }
  state.status = "submitting";
}
