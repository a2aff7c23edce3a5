// functions/core/extract/: one object's extract, one file per step (start, poll, fetch, commit, abort)
import type { ExtractApi, SyncMode } from "../catalog";
import type { ExtractFormat } from "../settings";

/** One object of one run: what the sync state machine's Map hands to extract. */
export interface ExtractTask {
  runId: string;
  object: string;
  mode: SyncMode;
  catalogKey: string;
}

/** A part written so far: [index, records, bytes]. Compact, because it rides in the payload. */
export type PartEntry = [number, number, number];

/**
 * The continuation: everything the next action needs, small enough for a Step Functions payload.
 * Records never ride in it; S3 keys and counters do.
 */
export interface ExtractState extends ExtractTask {
  /**
   * `comparing`: the Id snapshot is in; the lake step compares it with the current-state table (Id
   * reconciliation), then hands the run back `fetching`.
   */
  status: "polling" | "fetching" | "comparing" | "ready";
  /**
   * Where a reconciling run is after its query (absent: the query): `ids`, the Bulk job of the org's
   * live Ids; `land`, landing what the comparison found (delete rows, rows fetched again); `partial`,
   * reading the first pending pass of `partials` (formula fields, new fields).
   */
  phase?: "ids" | "land" | "partial";
  api: ExtractApi;
  apiReason?: string;
  /**
   * How this run writes its parts, fixed when it starts (a settings change never mixes formats in a
   * run). Absent in continuations from before formats: JSON lines.
   */
  format?: ExtractFormat;
  /** Distinguishes parts of successive jobs (or REST attempts) of one run. */
  jobTag: string;
  runDate: string;
  startedAt: string;
  window: { field: string | null; start?: string; end?: string };
  cursorBefore?: string;
  /** Things the consumer should know about this run's data (also in the manifest). */
  warnings?: string[];
  soql: string;
  operation: "query" | "queryAll";
  jobId?: string;
  jobIds: string[];
  /** Bulk: locator of the next page (undefined: first page). REST: next records URL. */
  locator?: string;
  nextUrl?: string;
  /** Rows the source says the whole result has (Bulk numberRecordsProcessed, REST totalSize). */
  expectedRecords?: number;
  /** Ids the org says its snapshot holds (the Id snapshot's Bulk job, when Id reconciliation runs). */
  expectedIds?: number;
  parts: PartEntry[];
  /** What the org's delete log gave, once read (after the query; incremental runs only). */
  deletes?: DeletesOutcome;
  /** The run reconciles the stream's Ids with the org: why, and what it found so far. */
  reconcile?: ReconcileOutcome;
  /** Partial reads after the query (and reconciliation), in order: see core/extract/partial.ts. */
  partials?: PartialPass[];
  records: number;
  bytes: number;
  apiCalls: number;
  polls: number;
  waitSeconds: number;
}

/** What reading the delete log gave a run (also in its manifest). */
export interface DeletesOutcome {
  /** Ids the log reported for the window, each landed as a delete row (`_origin` = `getDeleted`). */
  found: number;
  apiCalls: number;
  /** The range asked, in whole minutes (ISO-8601). */
  from: string;
  to: string;
  /** Why some deletes may be missing: the object has no delete log. */
  warning?: string;
  /**
   * Where the log could not answer (INVALID_REPLICATION_DATE, EXCEEDED_ID_LIMIT for one minute): its
   * deletes may be lost, so the run reconciles Ids instead.
   */
  lost?: string;
}

/** Id reconciliation's figures as an object's outcome carries them: deletes, rows fetched again, API calls. */
export type ReconciledCounts = [deletes: number, refetched: number, apiCalls: number];

/** The same figures by name, as the run summary and the command line report them. */
export interface ReconciledReport {
  deletes: number;
  refetched: number;
  apiCalls: number;
}

/** The named figures of an outcome's counts, when a reconciliation ran (it always costs calls). */
export function reconciledReport(counts: ReconciledCounts | undefined): ReconciledReport | undefined {
  if (counts === undefined || counts[2] === 0) return undefined;
  return { deletes: counts[0], refetched: counts[1], apiCalls: counts[2] };
}

/** Why a run reads some columns of every live record: formula fields due, fields new since the last run. */
export type PartialOrigin = "formula" | "backfill";

/** One partial read of a run (also in its manifest): `Id` plus `fields` for every live record. */
export interface PartialPass {
  origin: PartialOrigin;
  fields: string[];
  /** The org's time when the read began. */
  at?: string;
  /** Rows landed (partial rows, `_origin` = the pass's origin), parts written, and the rows Bulk announced. */
  rows: number;
  parts: number;
  expected?: number;
  apiCalls: number;
  done: boolean;
}

/**
 * Partial reads as an outcome carries them: [formula rows refreshed, their API calls, fields backfilled,
 * backfilled rows, their API calls] ([0, 0, 0, 0, 0]: none ran).
 */
export type PartialCounts = [
  formulaRows: number,
  formulaCalls: number,
  backfilledFields: number,
  backfillRows: number,
  backfillCalls: number,
];

/** The same figures by name, as the run summary and the command line report them. */
export interface PartialReport {
  formulaRows?: number;
  formulaApiCalls?: number;
  backfilledFields?: number;
  backfillRows?: number;
  backfillApiCalls?: number;
}

/** The named figures of an outcome's partial reads, when any ran (each costs calls). */
export function partialReport(counts: PartialCounts | undefined): PartialReport | undefined {
  if (counts === undefined || counts[1] + counts[4] === 0) return undefined;
  return {
    ...(counts[1] > 0 ? { formulaRows: counts[0], formulaApiCalls: counts[1] } : {}),
    ...(counts[4] > 0
      ? { backfilledFields: counts[2], backfillRows: counts[3], backfillApiCalls: counts[4] }
      : {}),
  };
}

/** Why a run reconciles Ids: its schedule, a gap longer than the recycle bin, a delete log that cannot answer. */
export type ReconcileReason = "schedule" | "gap" | "getDeleted";

/** A run's Id reconciliation (also in its manifest). */
export interface ReconcileOutcome {
  reason: ReconcileReason;
  /** The org's time when the Id snapshot was asked: delete rows are dated by it. */
  snapshotAt?: string;
  /** Live Ids in the org's snapshot, and the snapshot's parts (`runs/<runId>/reconcile/<Object>/ids/`). */
  ids?: number;
  idParts?: number;
  /** Ids in the current-state table but not in the org: landed as delete rows (`_origin` = `reconcile`). */
  deletes?: number;
  /** Ids in the org but missing from the table: fetched again (`_origin` = `refetch`). */
  refetched?: number;
  /** Salesforce calls the reconciliation spent (the Id job, its pages, the fetches again). */
  apiCalls: number;
  /** Why it could not compare or re-fetch everything; the next run reconciles again. */
  warning?: string;
}

/** The format a run writes its parts in. */
export function formatOf(state: Pick<ExtractState, "format">): ExtractFormat {
  return state.format ?? "jsonl";
}

/** A part's key in this run. */
export function partKey(
  layout: { part: (o: string, d: string, r: string, j: string, i: number, f: ExtractFormat) => string },
  state: ExtractState,
  index: number,
): string {
  return layout.part(state.object, state.runDate, state.runId, state.jobTag, index, formatOf(state));
}

export interface ExtractSummary {
  object: string;
  status: "succeeded" | "failed";
  mode: SyncMode;
  records: number;
  parts: number;
  bytes: number;
  apiCalls: number;
  manifestKey?: string;
  /** The date in the run folder's key (`dt=`): with the run id and object it names the manifest. */
  runDate?: string;
  cursor?: string;
  /** The run's number in the stream's commit sequence (the lake merges runs in this order). */
  commitSeq?: number;
  /** Deletes the org's delete log reported for the window, landed as delete rows. */
  deletes?: number;
  /**
   * Id reconciliation: [deletes it found, rows it fetched again, API calls it cost] ([0, 0, 0]: none
   * ran). A tuple: the state machine keeps it for every object until the summary, within 256 KiB.
   */
  reconciled?: ReconciledCounts;
  /** Formula refresh and new-field backfill: see PartialCounts (absent: none ran). */
  partial?: PartialCounts;
  error?: Record<string, string | number>;
}
