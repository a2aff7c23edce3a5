/**
 * Partial reads: after its query (and any Id reconciliation), an incremental run reads some columns of
 * every live record and lands them as *partial rows* (`Id` and those fields only, `_origin` = the pass's
 * origin, in parts of their own), which the lake's merge applies to those columns alone:
 *
 * - `formula`: the stream's formula (calculated) fields, when due by `formulaRefresh` (default daily,
 *   counted from `lastFormulaRefreshAt`). A formula's value changes without moving `SystemModstamp`
 *   (`TODAY()`, a parent record's field), so the incremental window never brings it.
 * - `backfill`: the fields the stream selects now but the last committed run did not (a field added,
 *   or made visible to the integration user, since): rows outside the window would hold null for ever.
 *   Found by comparing the catalog versions, so a run that failed before its commit backfills again.
 *
 * Each pass is `SELECT Id, <fields> FROM <Object>` (`query`: live records only): one REST page first
 * says how many rows; up to `restMaxRecords` REST pages are cheaper, beyond that a Bulk job (its polls
 * and pages go through the same actions as the query's). The rows land under the run's own commit, so a
 * crash before the commit repeats the pass, never half of it.
 */
import { ReconciliationError } from "../../errors";
import { createQueryJob } from "../../salesforce/bulk-query";
import { nextRestQueryPage, type QueryPage, startRestQuery } from "../../salesforce/rest-query";
import type { CatalogStream } from "../catalog";
import { readStream } from "../catalog-store";
import type { CommitPointer } from "../lake/commit-index";
import type { StreamState } from "../ports";
import { type ExtractSettings, formulaRefreshMs } from "../settings";
import {
  dropQueryJob,
  type ExtractDeps,
  isBulkUnsupported,
  iso,
  type PartColumns,
  partColumnsOf,
} from "./extract-deps";
import { type ExtractState, type PartialCounts, type PartialPass, partKey } from "./extract-state";
import { writeBulkPage } from "./fetch-bulk-page";
import { writeRestPart } from "./fetch-rest-part";
import { afterQuery } from "./reconcile";

/** The stream's formula fields among those it selects (an Id is never one). */
export function formulaFields(stream: Pick<CatalogStream, "fields" | "selectFields">): string[] {
  const calculated = new Set(stream.fields.filter((field) => field.calculated).map((field) => field.name));
  return stream.selectFields.filter((name) => calculated.has(name));
}

/** Whether the stream's formula fields are due to be read again (never read whole counts as due). */
export function formulaDue(
  settings: Pick<ExtractSettings, "formulaRefresh">,
  object: string,
  stream: Pick<StreamState, "lastFormulaRefreshAt">,
  serverNow: number,
): boolean {
  const every = formulaRefreshMs(settings, object);
  if (every === undefined) return false;
  const last =
    stream.lastFormulaRefreshAt === undefined ? Number.NaN : Date.parse(stream.lastFormulaRefreshAt);
  return !Number.isFinite(last) || serverNow - last >= every;
}

/**
 * The partial reads a run owes, decided at its start: none for a full refresh or a stream's first read
 * (their query reads every column of every record); else the new fields, and the formulas when due.
 */
export async function planPartials(
  deps: Pick<ExtractDeps, "store" | "layout" | "settings">,
  mode: string,
  stream: CatalogStream,
  state: Pick<StreamState, "cursor" | "commitSeq" | "lastFormulaRefreshAt">,
  serverNow: number,
): Promise<PartialPass[]> {
  if (mode !== "incremental" || state.cursor === undefined) return [];
  const passes: PartialPass[] = [];
  const added = await addedFields(deps, stream, state.commitSeq);
  const formulas = formulaDue(deps.settings, stream.object, state, serverNow)
    ? formulaFields(stream).filter((name) => !added.includes(name))
    : [];
  if (formulas.length > 0) passes.push(newPass("formula", formulas));
  if (added.length > 0) passes.push(newPass("backfill", added));
  return passes;
}

function newPass(origin: PartialPass["origin"], fields: string[]): PartialPass {
  return { origin, fields, rows: 0, parts: 0, apiCalls: 0, done: false };
}

/**
 * Fields the stream selects that the last committed run's catalog version did not, or did not hash
 * the way it does now.
 */
async function addedFields(
  deps: Pick<ExtractDeps, "store" | "layout">,
  stream: CatalogStream,
  commitSeq: number | undefined,
): Promise<string[]> {
  if (commitSeq === undefined) return [];
  const bytes = await deps.store.get(deps.layout.commitPointer(stream.object, commitSeq));
  // No pointer (a stream committed before the commit index): nothing to compare with.
  if (bytes === undefined) return [];
  const pointer = JSON.parse(new TextDecoder().decode(bytes)) as CommitPointer;
  const before = await readStream(deps.store, pointer.catalogKey);
  const had = new Set(before.selectFields);
  // A field hashed now but landed in clear before (or the reverse: settings hashFields) is read again
  // too, so the current-state table holds every record's value one way; the change log keeps its rows.
  const hashedBefore = new Set(before.hashFields ?? []);
  const hashedNow = new Set(stream.hashFields ?? []);
  return stream.selectFields.filter(
    (name) => name !== "Id" && (!had.has(name) || hashedBefore.has(name) !== hashedNow.has(name)),
  );
}

/**
 * A pass's columns: the Id, then its fields, as its SELECT names them; then the cursor field, which the
 * SELECT does not name: partial rows carry the pass's read time there (like the delete log's rows their
 * deleted date), so the change log dates every row (the history table orders versions by it).
 */
function passColumns(stream: CatalogStream, pass: PartialPass, hashKey: string | undefined): PartColumns {
  const dated = stream.cursorField !== null && !pass.fields.includes(stream.cursorField);
  return partColumnsOf(
    {
      ...stream,
      selectFields: ["Id", ...pass.fields, ...(dated ? [stream.cursorField as string] : [])],
    },
    hashKey,
  );
}

/** The columns a pass's rows hold but its SELECT does not: the cursor field, holding the read time. */
function passConstants(stream: CatalogStream, pass: PartialPass): Record<string, string> {
  if (stream.cursorField === null || pass.fields.includes(stream.cursorField) || pass.at === undefined)
    return {};
  return { [stream.cursorField]: pass.at };
}

function pendingIndex(state: ExtractState): number {
  return state.partials?.findIndex((pass) => !pass.done) ?? -1;
}

/** The pass being read, and a copy of the list to update it in. */
function current(state: ExtractState): { passes: PartialPass[]; index: number; pass: PartialPass } {
  const passes = (state.partials ?? []).map((pass) => ({ ...pass }));
  const index = passes.findIndex((pass) => !pass.done);
  return { passes, index, pass: passes[index] as PartialPass };
}

/**
 * What follows the run's query everywhere it may end (start, fetch): its delete log and any Id
 * reconciliation (reconcile.ts), then, once the run is ready to commit, its pending partial reads.
 */
export async function afterRead(
  deps: ExtractDeps,
  state: ExtractState,
  remainingMs: () => number,
): Promise<ExtractState> {
  const next = await afterQuery(deps, state);
  if (next.status !== "ready" || pendingIndex(next) < 0) return next;
  return beginPartial(deps, next, remainingMs);
}

/** Start the first pending pass: one REST page, then REST or a Bulk job by its size. */
async function beginPartial(
  deps: ExtractDeps,
  state: ExtractState,
  remainingMs: () => number,
): Promise<ExtractState> {
  const { salesforce, settings } = deps;
  const before = salesforce.totalCalls;
  if (state.jobId) {
    // The previous read's job is read whole; the pass's job takes its place in the continuation.
    await dropQueryJob(deps, state.jobId, state.object);
  }
  const { passes, index, pass } = current(state);
  const stream = await readStream(deps.store, state.catalogKey);
  pass.at = iso(Math.floor(salesforce.serverNow() / 1000) * 1000);
  const soql = `SELECT ${["Id", ...pass.fields].join(", ")} FROM ${state.object}`;
  let next: ExtractState = {
    ...state,
    status: "fetching",
    phase: "partial",
    soql,
    operation: "query",
    jobId: undefined,
    locator: undefined,
    nextUrl: undefined,
    partials: passes,
  };
  deps.log.info("extract: partial read", { object: state.object, origin: pass.origin, fields: pass.fields });
  const spent = () => {
    const passes = (next.partials ?? []).map((entry) => ({ ...entry }));
    (passes[index] as PartialPass).apiCalls += salesforce.totalCalls - before;
    return passes;
  };
  if (stream.api === "rest") return { ...next, partials: spent() };
  let first: QueryPage | undefined;
  if (settings.restMaxRecords > 0) {
    first = await startRestQuery(salesforce, {
      object: state.object,
      soql,
      includeDeleted: false,
      batchSize: settings.restBatchSize,
    });
    if (first.totalSize <= settings.restMaxRecords) {
      next = { ...next, partials: spent() };
      return fetchPartialRest(deps, next, stream, remainingMs, first);
    }
  }
  try {
    const job = await createQueryJob(salesforce, { object: state.object, soql, operation: "query" });
    next = {
      ...next,
      status: "polling",
      jobId: job.id,
      jobIds: [...state.jobIds, job.id],
      waitSeconds: settings.pollFirstSeconds,
    };
  } catch (error) {
    if (!isBulkUnsupported(error)) throw error;
    // An object Bulk cannot query: REST pages instead (from the start: the first page is not kept).
  }
  return { ...next, partials: spent() };
}

/** One step of the pass being read: a Bulk results page, or REST pages into one part. */
export async function fetchPartial(
  deps: ExtractDeps,
  state: ExtractState,
  remainingMs: () => number,
): Promise<ExtractState> {
  const stream = await readStream(deps.store, state.catalogKey);
  if (!state.jobId) return fetchPartialRest(deps, state, stream, remainingMs);
  const before = deps.salesforce.totalCalls;
  const { passes, pass } = current(state);
  const index = state.parts.length;
  const key = partKey(deps.layout, state, index);
  const { records, bytes, nextLocator } = await writeBulkPage(
    deps,
    state,
    key,
    passColumns(stream, pass, deps.hashKey),
    pass.origin,
    passConstants(stream, pass),
  );
  pass.rows += records;
  pass.parts += 1;
  pass.apiCalls += deps.salesforce.totalCalls - before;
  deps.log.info("extract: partial part written", { object: state.object, key, origin: pass.origin, records });
  const next: ExtractState = {
    ...state,
    parts: [...state.parts, [index, records, bytes]],
    bytes: state.bytes + bytes,
    locator: nextLocator ?? undefined,
    partials: passes,
  };
  return nextLocator === null ? passDone(deps, next, remainingMs) : next;
}

async function fetchPartialRest(
  deps: ExtractDeps,
  state: ExtractState,
  stream: CatalogStream,
  remainingMs: () => number,
  firstPage?: QueryPage,
): Promise<ExtractState> {
  const { salesforce, settings } = deps;
  const before = salesforce.totalCalls;
  const { passes, pass } = current(state);
  const index = state.parts.length;
  const key = partKey(deps.layout, state, index);
  let pending = firstPage;
  let nextUrl = state.nextUrl;
  let done = false;
  let rows = 0;
  const bytes = await writeRestPart(
    deps,
    state,
    key,
    passColumns(stream, pass, deps.hashKey),
    async (sink) => {
      do {
        const page: QueryPage =
          pending ??
          (nextUrl
            ? await nextRestQueryPage(salesforce, {
                object: state.object,
                nextRecordsUrl: nextUrl,
                batchSize: settings.restBatchSize,
              })
            : await startRestQuery(salesforce, {
                object: state.object,
                soql: state.soql,
                includeDeleted: false,
                batchSize: settings.restBatchSize,
              }));
        pending = undefined;
        pass.expected = page.totalSize;
        const dated = passConstants(stream, pass);
        if (page.records.length > 0) await sink.take(page.records.map((record) => ({ ...record, ...dated })));
        rows += page.records.length;
        done = page.done || !page.nextRecordsUrl;
        nextUrl = page.nextRecordsUrl;
      } while (!done && rows < settings.restPartRecords && remainingMs() > settings.safetyMarginMs);
      await sink.end();
    },
    pass.origin,
  );
  pass.rows += rows;
  pass.apiCalls += salesforce.totalCalls - before;
  let next: ExtractState = { ...state, nextUrl: done ? undefined : nextUrl, partials: passes };
  if (rows > 0) {
    pass.parts += 1;
    next = { ...next, parts: [...state.parts, [index, rows, bytes]], bytes: state.bytes + bytes };
  }
  return done ? passDone(deps, next, remainingMs) : next;
}

/** The pass is read whole: check its size, drop its Bulk job, and go on with the next pass or commit. */
async function passDone(
  deps: ExtractDeps,
  state: ExtractState,
  remainingMs: () => number,
): Promise<ExtractState> {
  const { passes, pass } = current(state);
  if (pass.expected !== undefined && pass.expected !== pass.rows) {
    throw new ReconciliationError(
      `${state.object}: the ${pass.origin} read of ${pass.fields.join(", ")} landed ${pass.rows} rows but Salesforce reported ${pass.expected}; the run is not committed and the next run reads them again.`,
      { object: state.object },
    );
  }
  let next: ExtractState = {
    ...state,
    partials: passes,
    jobId: undefined,
    locator: undefined,
    nextUrl: undefined,
  };
  if (state.jobId) {
    const before = deps.salesforce.totalCalls;
    await dropQueryJob(deps, state.jobId, state.object, "the partial read's Bulk job");
    pass.apiCalls += deps.salesforce.totalCalls - before;
  }
  pass.done = true;
  deps.log.info("extract: partial read done", {
    object: state.object,
    origin: pass.origin,
    rows: pass.rows,
    apiCalls: pass.apiCalls,
  });
  next = { ...next, status: "ready" };
  return pendingIndex(next) < 0 ? next : beginPartial(deps, next, remainingMs);
}

/** A poll of the pass's Bulk job: its calls are the pass's, and a finished job announces its rows. */
export function pollPartial(state: ExtractState, spent: number, expected: number | undefined): ExtractState {
  const { passes, pass } = current(state);
  pass.apiCalls += spent;
  if (expected !== undefined) pass.expected = expected;
  return { ...state, partials: passes };
}

/** The commit pointer's list of partial parts: the passes that landed rows, with their fields. */
export function committedPartials(
  state: ExtractState,
): Array<{ origin: PartialPass["origin"]; fields: string[] }> {
  return (state.partials ?? [])
    .filter((pass) => pass.done && pass.rows > 0)
    .map((pass) => ({ origin: pass.origin, fields: pass.fields }));
}

/**
 * When the run read every formula field whole: its formula pass, or its query when that read every row
 * (a full refresh, a stream's first read). Undefined: the stream's `lastFormulaRefreshAt` stays.
 */
export function formulaRefreshedAt(state: ExtractState): string | undefined {
  const pass = state.partials?.find((entry) => entry.origin === "formula" && entry.done);
  if (pass !== undefined) return pass.at;
  if (state.mode === "full_refresh" || state.cursorBefore === undefined)
    return state.window.end ?? state.startedAt;
  return undefined;
}

/** The outcome's figures: see PartialCounts. */
export function partialCounts(state: ExtractState): PartialCounts {
  const formula = state.partials?.find((pass) => pass.origin === "formula");
  const backfill = state.partials?.find((pass) => pass.origin === "backfill");
  return [
    formula?.rows ?? 0,
    formula?.apiCalls ?? 0,
    backfill?.fields.length ?? 0,
    backfill?.rows ?? 0,
    backfill?.apiCalls ?? 0,
  ];
}
