import type { InboundOperation } from "../layout";

/**
 * The load state: what every action of the load state machine returns and the next one takes. It
 * holds keys, counters, job ids and positions — never rows — so it stays small enough for a Step
 * Functions payload. The same object is checkpointed to S3 (see journal.ts) so that an action that
 * dies half-way is resumed from its last checkpoint instead of repeating what it already sent.
 */

export type LoadStatus = "duplicate" | "submitting" | "polling" | "collecting" | "retrying" | "finishing";

/** What a submit invocation is doing: reading the whole file once before sending anything, then sending. */
export type SubmitPhase = "validate" | "send";

export type LoadApi = "collections" | "bulk";

export type IngestJobState = "Open" | "UploadComplete" | "InProgress" | "JobComplete" | "Failed" | "Aborted";

export interface LoadTarget {
  object: string;
  operation: InboundOperation;
  externalIdField?: string;
}

/** The inbound file and the claim that holds it. */
export interface LoadFile {
  bucket: string;
  key: string;
  /** versionId, else the ETag: what identifies this version of the file. */
  version: string;
  /** The version string of the claim item this run holds (differs from `version` for a retry run). */
  claimVersion: string;
  size?: number;
}

export interface LoadJob {
  id: string;
  /** 0 for the file itself, n for the n-th retry round. */
  round: number;
  /** Rows uploaded into the job. */
  rows: number;
  state: IngestJobState;
  errorMessage?: string;
  /** Its results have been streamed into result parts. */
  collected: boolean;
}

/** Rows by outcome. `read` counts data rows of the file; retried rows are counted once, by final outcome. */
export interface LoadCounts {
  read: number;
  rejected: number;
  succeeded: number;
  created: number;
  failed: number;
  unprocessed: number;
  /** Rows not sent because the record already holds every value they set (skipUnchanged). */
  unchanged: number;
}

/** What a row would do to the org (a dry run's plan; skipUnchanged sends no "unchanged" row). */
export const ROW_FATES = ["create", "update", "unchanged", "miss", "delete"] as const;
export type RowFate = (typeof ROW_FATES)[number];

/** Where a load's comparison read the records' current values, and why there. */
export interface DiffSource {
  source: "lake" | "org";
  reason: string;
}

/** Result part kinds: each becomes one final file, except `retry` (the next round's input). */
export type PartKind = "success" | "failed" | "unprocessed" | "rejected" | "unchanged" | "plan" | "retry";

/** A side effect in progress when the last checkpoint was written (see journal.ts). */
export type Inflight =
  | {
      kind: "collections";
      /** Source position before and after the chunk. */
      from: number;
      to: number;
      /** The chunk's rows in Salesforce CSV form, kept in the checkpoint object only (never in the payload). */
      rowsKey: string;
      rows: number;
    }
  | {
      kind: "job";
      jobId: string;
      from: number;
      /** Set once the upload was answered 201: then the job holds rows [from, to). */
      to?: number;
      rows?: number;
    };

/**
 * One job file written while the file was validated (see staged-jobs.ts): a complete Bulk ingest CSV
 * of at most `jobMaxBytes`, uploaded as it is. Compact, because the list rides in the payload.
 */
export interface StagedJob {
  rows: number;
  /** Plan columns its header holds (a prefix of the plan's: JSON lines reveal columns as they go). */
  columns: number;
}

export interface LoadTimings {
  claimedAt: string;
  validatedAt?: string;
  submittedAt?: string;
  finishedAt?: string;
}

export interface LoadState {
  status: LoadStatus;
  runId: string;
  file: LoadFile;
  target: LoadTarget;
  resultsFolder: string;
  /** Increases with every checkpoint; the newer of payload and checkpoint wins. */
  seq: number;
  phase: SubmitPhase;
  api?: LoadApi;
  /** 0: the file; n ≥ 1: the n-th retry round, reading the rows staged by round n − 1. */
  round: number;
  /** Rows of the current round's source consumed so far (valid and invalid). */
  position: number;
  /** Rows the current round's source holds, once known. */
  sourceRows?: number;
  /** Valid rows of the current round, once known. */
  validRows?: number;
  /** Retry parts the current round reads (staged by the previous round; `parts.retry` counts the next one's). */
  sourceParts: number;
  /**
   * Round 0's valid rows as job files, written while validating so the file is parsed once. Absent
   * when the rows were kept in memory instead (a small file validated in one invocation). While these
   * are sent, `position` counts their rows (valid rows only), not the file's.
   */
  staged?: StagedJob[];
  /** Rows staged for the next round. */
  retryRows: number;
  jobs: LoadJob[];
  counts: LoadCounts;
  /** Final failures by Salesforce error code. */
  errorCodes: Record<string, number>;
  /** Transient failures that were resubmitted, by code. */
  retriedCodes: Record<string, number>;
  /** Parts written so far, per kind (keys are deterministic: see result-parts.ts). */
  parts: Record<PartKind, number>;
  inflight?: Inflight;
  /** Consecutive pauses without progress (a limit, an unavailable server); bounded. */
  stalls: number;
  /** A dry run: validate and plan, send nothing, take no claim (`plan.json`, `plan.csv`). */
  dryRun?: boolean;
  /** Compare update/upsert rows with their records and send only those that change a field. */
  skipUnchanged?: boolean;
  /** Where the comparison reads current values (chosen by the first invocation that compares). */
  diffSource?: DiffSource;
  /** A dry run's rows by fate. */
  planned?: Record<RowFate, number>;
  /** When the load marked its object as being loaded, before its first send (see load-marker.ts). */
  markedAt?: string;
  /** Set when the whole file was rejected: summary.json says why. */
  rejected?: boolean;
  apiCalls: number;
  polls: number;
  waitSeconds: number;
  timings: LoadTimings;
}

export interface LoadSummary {
  status: "finished";
  outcome: "succeeded" | "partial" | "rejected" | "failed" | "planned";
  message: string;
  runId: string;
  bucket: string;
  key: string;
  version: string;
  object: string;
  operation: InboundOperation;
  externalIdField?: string;
  api?: LoadApi;
  counts: LoadCounts;
  /** Rows resubmitted after a transient failure (each counted once per round it was retried). */
  retried: number;
  errorCodes: Record<string, number>;
  retriedCodes: Record<string, number>;
  jobIds: string[];
  rounds: number;
  apiCalls: number;
  timings: LoadTimings & { seconds?: number };
  resultsFolder: string;
  files: Record<"summary" | "success" | "failed" | "unprocessed" | "rejected" | "unchanged", string> & {
    plan?: string;
    planCsv?: string;
  };
  dryRun?: boolean;
  /** Where skipUnchanged or a dry run read the records' current values. */
  diffSource?: DiffSource;
  /** A dry run's rows by fate. */
  planned?: Record<RowFate, number>;
  error?: Record<string, string | number>;
  /** For a rejected file: where the problem is and what to do. */
  problem?: { message: string; line?: number; column?: number | string; fix: string };
}

export function emptyCounts(): LoadCounts {
  return { read: 0, rejected: 0, succeeded: 0, created: 0, failed: 0, unprocessed: 0, unchanged: 0 };
}

export function emptyFates(): Record<RowFate, number> {
  return { create: 0, update: 0, unchanged: 0, miss: 0, delete: 0 };
}

export function emptyParts(): Record<PartKind, number> {
  return { success: 0, failed: 0, unprocessed: 0, rejected: 0, unchanged: 0, plan: 0, retry: 0 };
}

/** A claimed file's state before anything is read: validation comes first. */
export function initialLoadState(
  claimed: Pick<LoadState, "runId" | "file" | "target" | "resultsFolder"> & { claimedAt: string },
): LoadState {
  const { claimedAt, ...identity } = claimed;
  return {
    status: "submitting",
    ...identity,
    seq: 0,
    phase: "validate",
    round: 0,
    position: 0,
    sourceParts: 0,
    retryRows: 0,
    jobs: [],
    counts: emptyCounts(),
    errorCodes: {},
    retriedCodes: {},
    parts: emptyParts(),
    stalls: 0,
    apiCalls: 0,
    polls: 0,
    waitSeconds: 0,
    timings: { claimedAt },
  };
}

export function addCode(codes: Record<string, number>, code: string, count = 1): void {
  codes[code] = (codes[code] ?? 0) + count;
}
