/**
 * Id reconciliation, the extract side. The delete log (getDeleted) keeps 15 days at most and emptying
 * the recycle bin cuts it, so some hard deletes are never reported; and a lake row can go missing (a
 * part lost, a table rebuilt from a damaged change log). A reconciling run compares the org's live Ids
 * with the current-state table and mends both:
 *
 * 1. after the run's query (and its delete log), a Bulk job `SELECT Id, <cursor> FROM X` (a few bytes a
 *    row: one job for a million Ids) lands the org's Id snapshot as Parquet parts outside the change log
 *    (`runs/<runId>/reconcile/<Object>/ids/`);
 * 2. the lake step compares it with the current-state table in the engine (core/lake/reconcile.ts: anti-
 *    joins both ways) and writes what it found (`diff.json`);
 * 3. this run then lands it before its commit: Ids the table holds but the org lacks as delete rows
 *    (`_origin` = `reconcile`, dated by the snapshot, so a record modified after it is never removed), and
 *    Ids the org has but the table lacks fetched again by Id (`_origin` = `refetch`).
 *
 * Why in the same run rather than recorded for the next: the rows land in the change log under the
 * run's own commit (manifest, commit index, merge), so the table equals the org right after this run's
 * merge, and a crash anywhere before the commit repeats the whole reconciliation, never half of it.
 *
 * A run reconciles when its schedule is due (`reconcileEvery`, counted from `lastReconciledAt` on the
 * stream's state), when the gap since the last run outlived the recycle bin, when the delete log
 * could not answer for the run's window (INVALID_REPLICATION_DATE, EXCEEDED_ID_LIMIT for one minute),
 * and when an earlier run needed one but could not finish it (`reconcilePending`: the lake's table was
 * behind its commits, more rows were missing than a run fetches again).
 */
import { TransientError } from "../../errors";
import { createQueryJob, openResultsPage } from "../../salesforce/bulk-query";
import { nextRestQueryPage, type QueryPage, startRestQuery } from "../../salesforce/rest-query";
import type { CatalogStream } from "../catalog";
import { readStream } from "../catalog-store";
import type { RowOrigin } from "../lake/lake-names";
import { snapshotFields } from "../lake/reconcile-sql";
import type { StreamState } from "../ports";
import type { ExtractSettings } from "../settings";
import {
  dropQueryJob,
  type ExtractDeps,
  isBulkUnsupported,
  iso,
  type PartColumns,
  partColumnsOf,
} from "./extract-deps";
import { type ExtractState, partKey, type ReconcileOutcome, type ReconcileReason } from "./extract-state";
import { fetchDeletes, readsDeletes } from "./fetch-deletes";
import { type RestPartSink, writeRestPart } from "./fetch-rest-part";

/** Salesforce keeps deleted rows in the recycle bin (and the delete log) 15 days; act a day early. */
export const RECYCLE_BIN_MS = 14 * 86_400_000;
/** Rows of one Id snapshot page (one part): a million Ids are about 45 MB of CSV. */
const ID_PAGE_RECORDS = 1_000_000;
/** Ids fetched again per REST query: `WHERE Id IN (…)` stays far below SOQL's and a URL's length. */
const REFETCH_CHUNK = 200;
/**
 * Ids a run fetches again at most (250 REST calls). More: the rest are fetched by the next runs (the
 * reconciliation stays due), and the warning says a full refresh is cheaper.
 */
export const MAX_REFETCH = 50_000;

/** What the lake step's comparison found, as it writes it (`runs/<runId>/reconcile/<Object>/diff.json`). */
export interface ReconcileDiff {
  /** False when the table could not be compared (not merged through the last commit): `warning` says why. */
  compared: boolean;
  warning?: string;
  deletes: string[];
  missing: string[];
}

/**
 * Why a run reconciles from its start, if it does: incremental runs after the first, when the gap since
 * the last one outlived the recycle bin, or the schedule is due (never reconciled counts as due).
 */
export function reconcileAtStart(
  settings: Pick<ExtractSettings, "reconcileEveryMs">,
  mode: string,
  stream: Pick<StreamState, "cursor" | "lastReconciledAt" | "reconcilePending">,
  serverNow: number,
): ReconcileReason | undefined {
  if (mode !== "incremental" || stream.cursor === undefined) return undefined;
  if (serverNow - Date.parse(stream.cursor) > RECYCLE_BIN_MS) return "gap";
  // An earlier run needed one and could not finish it.
  if (stream.reconcilePending !== undefined) return stream.reconcilePending as ReconcileReason;
  if (settings.reconcileEveryMs === undefined) return undefined;
  const last = stream.lastReconciledAt === undefined ? Number.NaN : Date.parse(stream.lastReconciledAt);
  if (!Number.isFinite(last) || serverNow - last >= settings.reconcileEveryMs) return "schedule";
  return undefined;
}

/** The Id snapshot's parts' columns: the Id and the cursor field, typed like the stream's. */
function snapshotColumns(stream: CatalogStream): PartColumns {
  // Never a hashed field: Id and the cursor field cannot be hashed (column-controls.ts).
  return partColumnsOf({ ...stream, selectFields: snapshotFields(stream) }, undefined);
}

/**
 * The run's query is in (status `ready`): read the delete log for its window, then, when the run
 * reconciles (its start said so, or the log could not answer), start the Id snapshot. Otherwise the
 * state stays `ready` for the commit.
 */
export async function afterQuery(deps: ExtractDeps, state: ExtractState): Promise<ExtractState> {
  if (state.status !== "ready" || state.phase !== undefined) return state;
  let next = state;
  const stream = await readStream(deps.store, state.catalogKey);
  if (readsDeletes(next)) next = await fetchDeletes(deps, next, stream, partColumnsOf(stream, deps.hashKey));
  const reason = next.reconcile?.reason ?? (next.deletes?.lost === undefined ? undefined : "getDeleted");
  if (reason === undefined || next.mode !== "incremental" || next.cursorBefore === undefined) return next;
  return beginIds(deps, next, stream, reason);
}

async function beginIds(
  deps: ExtractDeps,
  state: ExtractState,
  stream: CatalogStream,
  reason: ReconcileReason,
): Promise<ExtractState> {
  const { salesforce } = deps;
  const before = salesforce.totalCalls;
  if (state.jobId) {
    // The query's job is read whole; the snapshot's job takes its place in the continuation.
    await dropQueryJob(deps, state.jobId, state.object);
  }
  const soql = `SELECT ${snapshotFields(stream).join(", ")} FROM ${state.object}`;
  const reconcile: ReconcileOutcome = {
    reason,
    snapshotAt: iso(Math.floor(salesforce.serverNow() / 1000) * 1000),
    ids: 0,
    idParts: 0,
    apiCalls: 0,
  };
  let next: ExtractState = {
    ...state,
    phase: "ids",
    soql,
    operation: "query",
    jobId: undefined,
    locator: undefined,
    nextUrl: undefined,
    reconcile,
  };
  try {
    const job = await createQueryJob(salesforce, { object: state.object, soql, operation: "query" });
    next = {
      ...next,
      status: "polling",
      jobId: job.id,
      jobIds: [...state.jobIds, job.id],
      waitSeconds: deps.settings.pollFirstSeconds,
    };
  } catch (error) {
    if (!isBulkUnsupported(error)) throw error;
    // An object Bulk cannot query: its Ids come through REST pages instead.
    next = { ...next, status: "fetching" };
  }
  reconcile.apiCalls += salesforce.totalCalls - before;
  deps.log.info("extract: reconciling Ids", {
    object: state.object,
    reason,
    snapshotAt: reconcile.snapshotAt,
  });
  return next;
}

/** CSV of Ids and datetimes (no quotes, commas or newlines inside a value) to records, by header. */
async function* csvRecords(
  body: AsyncIterable<Uint8Array>,
  fields: string[],
  object: string,
): AsyncGenerator<Array<Record<string, string | null>>> {
  const decoder = new TextDecoder();
  let header: string[] | undefined;
  let rest = "";
  let batch: Array<Record<string, string | null>> = [];
  const line = (text: string) => {
    const trimmed = text.endsWith("\r") ? text.slice(0, -1) : text;
    if (trimmed === "") return;
    const values = trimmed.split(",").map((value) => value.replace(/^"|"$/g, ""));
    if (header === undefined) {
      header = values;
      if (header.join(",") !== fields.join(",")) {
        throw new TransientError(
          `The Id snapshot of ${object} came with columns ${header.join(", ")}, not ${fields.join(", ")}; the page is read again.`,
          { object },
        );
      }
      return;
    }
    batch.push(Object.fromEntries(fields.map((field, index) => [field, values[index] || null])));
  };
  for await (const chunk of body) {
    rest += decoder.decode(chunk, { stream: true });
    const lines = rest.split("\n");
    rest = lines.pop() ?? "";
    for (const text of lines) line(text);
    if (batch.length >= 10_000) {
      yield batch;
      batch = [];
    }
  }
  rest += decoder.decode();
  line(rest);
  if (batch.length > 0) yield batch;
}

/** One page of the Id snapshot (Bulk results page, or REST pages when Bulk cannot query the object). */
export async function fetchIds(
  deps: ExtractDeps,
  state: ExtractState,
  remainingMs: () => number,
): Promise<ExtractState> {
  const { salesforce } = deps;
  const before = salesforce.totalCalls;
  const reconcile = { ...(state.reconcile as ReconcileOutcome) };
  const stream = await readStream(deps.store, state.catalogKey);
  const fields = snapshotFields(stream);
  const index = reconcile.idParts ?? 0;
  const key = deps.layout.reconcileIdsPart(state.runId, state.object, index);
  // The snapshot is for the engines: always Parquet, whatever the run's parts are.
  const asParquet: ExtractState = { ...state, format: "parquet" };
  let rows = 0;
  let next: ExtractState;
  if (state.jobId) {
    const page = await openResultsPage(salesforce, {
      jobId: state.jobId,
      object: state.object,
      locator: state.locator,
      maxRecords: ID_PAGE_RECORDS,
    });
    await writeRestPart(deps, asParquet, key, snapshotColumns(stream), async (sink) => {
      try {
        for await (const records of csvRecords(page.body, fields, state.object)) {
          await sink.take(records);
          rows += records.length;
        }
      } catch (error) {
        if (error instanceof TransientError) throw error;
        throw new TransientError(
          `Page ${index} of the Id snapshot of ${state.object} was cut short: ${(error as Error).message}. It is read again.`,
          { object: state.object, cause: error },
        );
      }
      await sink.end();
    });
    if (page.records !== undefined && page.records !== rows) {
      throw new TransientError(
        `Page ${index} of the Id snapshot of ${state.object} held ${rows} Ids but Salesforce announced ${page.records}; it is read again.`,
        { object: state.object },
      );
    }
    next = { ...state, locator: page.nextLocator ?? undefined };
    if (page.nextLocator === null) next = await snapshotDone(deps, next, reconcile.ids ?? 0, rows);
  } else {
    let nextUrl = state.nextUrl;
    let done = false;
    await writeRestPart(deps, asParquet, key, snapshotColumns(stream), async (sink: RestPartSink) => {
      do {
        const page: QueryPage = nextUrl
          ? await nextRestQueryPage(salesforce, { object: state.object, nextRecordsUrl: nextUrl })
          : await startRestQuery(salesforce, {
              object: state.object,
              soql: state.soql,
              includeDeleted: false,
            });
        await sink.take(page.records);
        rows += page.records.length;
        done = page.done;
        nextUrl = page.nextRecordsUrl;
      } while (!done && nextUrl && rows < ID_PAGE_RECORDS && remainingMs() > deps.settings.safetyMarginMs);
      await sink.end();
    });
    next = { ...state, nextUrl: done ? undefined : nextUrl };
    if (done) next = await snapshotDone(deps, next, reconcile.ids ?? 0, rows);
  }
  reconcile.ids = (reconcile.ids ?? 0) + rows;
  reconcile.idParts = index + 1;
  reconcile.apiCalls += salesforce.totalCalls - before;
  deps.log.info("extract: Id snapshot part written", { object: state.object, key, ids: rows });
  return { ...next, reconcile: { ...(next.reconcile as ReconcileOutcome), ...reconcile } };
}

/** The snapshot is whole: check its size, drop its Bulk job, and hand it to the lake's comparison. */
async function snapshotDone(
  deps: ExtractDeps,
  state: ExtractState,
  before: number,
  rows: number,
): Promise<ExtractState> {
  const expected = state.expectedIds;
  if (expected !== undefined && expected !== before + rows) {
    throw new TransientError(
      `The Id snapshot of ${state.object} holds ${before + rows} Ids but Salesforce reported ${expected}; it is taken again.`,
      { object: state.object },
    );
  }
  if (state.jobId) await dropQueryJob(deps, state.jobId, state.object, "the Id snapshot's Bulk job");
  return { ...state, status: "comparing", jobId: undefined, locator: undefined, nextUrl: undefined };
}

/** A delete found by reconciliation as a REST record: Id, IsDeleted, and the snapshot's time as the cursor. */
function deleteRow(stream: CatalogStream, id: string, at: string): Record<string, unknown> {
  const row: Record<string, unknown> = { Id: id };
  if (stream.selectFields.includes("IsDeleted")) row.IsDeleted = true;
  if (stream.cursorField) row[stream.cursorField] = at;
  return row;
}

const ID = /^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$/;

/**
 * Land what the comparison found, as parts of this run: the deletes (one part, `_origin` = `reconcile`)
 * and the rows fetched again by Id (one part, `_origin` = `refetch`; REST, 200 Ids a query). Then the
 * run is ready to commit.
 */
export async function landReconcile(deps: ExtractDeps, state: ExtractState): Promise<ExtractState> {
  const { salesforce } = deps;
  const before = salesforce.totalCalls;
  const reconcile = { ...(state.reconcile as ReconcileOutcome) };
  const bytes = await deps.store.get(deps.layout.reconcileDiff(state.runId, state.object));
  if (bytes === undefined) {
    throw new TransientError(
      `${state.object}: the comparison of the Id snapshot left no result; it is compared again.`,
      { object: state.object },
    );
  }
  const diff = JSON.parse(new TextDecoder().decode(bytes)) as ReconcileDiff;
  const warnings = [...(state.warnings ?? [])];
  if (!diff.compared) {
    reconcile.warning = diff.warning;
    if (diff.warning) warnings.push(diff.warning);
    return { ...state, status: "ready", reconcile, warnings };
  }
  const stream = await readStream(deps.store, state.catalogKey);
  const columns = partColumnsOf(stream, deps.hashKey);
  const at = reconcile.snapshotAt ?? state.startedAt;
  const next: ExtractState = { ...state, parts: [...state.parts] };
  /** Writes the run's next part from `fill` (which returns its rows), listed in the run when it has any. */
  const landPart = async (origin: RowOrigin, fill: (sink: RestPartSink) => Promise<number>) => {
    const index = next.parts.length;
    let rows = 0;
    const size = await writeRestPart(
      deps,
      next,
      partKey(deps.layout, next, index),
      columns,
      async (sink) => {
        rows = await fill(sink);
        await sink.end();
      },
      origin,
    );
    if (rows > 0) {
      next.parts.push([index, rows, size]);
      next.bytes += size;
    }
    return rows;
  };
  if (diff.deletes.length > 0) {
    await landPart("reconcile", async (sink) => {
      for (let start = 0; start < diff.deletes.length; start += 10_000) {
        await sink.take(diff.deletes.slice(start, start + 10_000).map((id) => deleteRow(stream, id, at)));
      }
      return diff.deletes.length;
    });
  }
  const missing = diff.missing.filter((id) => ID.test(id));
  const wanted = missing.slice(0, MAX_REFETCH);
  let refetched = 0;
  if (wanted.length > 0) {
    refetched = await landPart("refetch", async (sink) => {
      let rows = 0;
      for (let start = 0; start < wanted.length; start += REFETCH_CHUNK) {
        const ids = wanted.slice(start, start + REFETCH_CHUNK).map((id) => `'${id}'`);
        const soql = `SELECT ${stream.selectFields.join(", ")} FROM ${state.object} WHERE Id IN (${ids.join(", ")})`;
        let page = await startRestQuery(salesforce, { object: state.object, soql, includeDeleted: false });
        for (;;) {
          await sink.take(page.records);
          rows += page.records.length;
          if (page.done || !page.nextRecordsUrl) break;
          page = await nextRestQueryPage(salesforce, {
            object: state.object,
            nextRecordsUrl: page.nextRecordsUrl,
          });
        }
      }
      return rows;
    });
  }
  reconcile.deletes = diff.deletes.length;
  reconcile.refetched = refetched;
  if (missing.length > wanted.length) {
    reconcile.warning = `${state.object}: ${missing.length} records are missing from the lake's table; this run fetched ${wanted.length} of them again by Id and the next runs fetch the rest (a full_refresh of ${state.object} costs fewer API calls).`;
    warnings.push(reconcile.warning);
  }
  reconcile.apiCalls += salesforce.totalCalls - before;
  deps.log.info("extract: reconciliation landed", {
    object: state.object,
    deletes: reconcile.deletes,
    refetched,
    missing: missing.length,
  });
  return {
    ...next,
    status: "ready",
    reconcile,
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}
