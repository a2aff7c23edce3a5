// functions/core/: the connector itself, pure TypeScript over its ports (object store, state, secrets, log)
/**
 * Ports: what the connector core needs from the outside world. `core/` depends only on these
 * interfaces; `functions/aws/` implements them over S3, DynamoDB and Secrets Manager, and tests may
 * implement them in memory.
 */
import type { Readable } from "node:stream";

export interface PutOptions {
  contentType?: string;
  contentEncoding?: string;
}

export interface ObjectInfo {
  key: string;
  size: number;
  etag?: string;
  versionId?: string;
  lastModified?: Date;
}

/** One S3 bucket. Keys are full keys (the caller applies its prefix). */
export interface ObjectStore {
  readonly bucket: string;
  /** Write a small object in one request. */
  put(key: string, body: string | Uint8Array, options?: PutOptions): Promise<{ etag?: string }>;
  /**
   * Stream a body of unknown length to `key` (multipart upload with bounded memory). The object
   * appears whole or not at all; on failure the multipart upload is aborted.
   */
  upload(
    key: string,
    body: Readable | AsyncIterable<Uint8Array>,
    options?: PutOptions,
  ): Promise<{ bytes: number; etag?: string }>;
  /** Read a small object whole, or undefined when it does not exist. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Stream an object. Throws ConfigurationError naming bucket and key when it does not exist. */
  stream(key: string): Promise<{ body: Readable; info: ObjectInfo }>;
  /** Metadata of an object, or undefined when it does not exist. */
  head(key: string): Promise<ObjectInfo | undefined>;
  /** Every object under a prefix, in key order, page by page. */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /** Delete an object (its current version: a versioned bucket keeps it as noncurrent). Absent: no-op. */
  delete(key: string): Promise<void>;
}

/** Identifies one stream's state item: a connection and a Salesforce object. */
export interface StreamKey {
  connection: string;
  object: string;
}

export type RunStatus = "running" | "succeeded" | "failed";

export interface StreamState extends StreamKey {
  /** End of the last committed window (ISO-8601 UTC), absent before the first commit. */
  cursor?: string;
  cursorField?: string;
  leaseHolder?: string;
  /** Epoch ms after which the lease may be taken over. */
  leaseExpiresAt?: number;
  lastRunId?: string;
  lastStatus?: RunStatus;
  lastError?: string;
  lastManifestKey?: string;
  lastCommittedAt?: string;
  /**
   * The stream's commit sequence: the number of the last committed run (1, 2, …), whose pointer is
   * `data/<Object>/_commits/<seq>.json`. Absent before the first commit.
   */
  commitSeq?: number;
  /**
   * When the stream's Ids were last reconciled with the org (ISO-8601, the org's time of the Id
   * snapshot): the schedule (`reconcileEvery`) counts from it. Absent: never reconciled.
   */
  lastReconciledAt?: string;
  /**
   * When the stream's formula fields were last read whole (ISO-8601, the org's time): `formulaRefresh`
   * counts from it. Absent: never.
   */
  lastFormulaRefreshAt?: string;
  /**
   * Why an Id reconciliation is owed (a run needed one but could not finish it: the lake's table was not
   * merged through the last commit): the next run reconciles whatever its schedule says. Absent: none.
   */
  reconcilePending?: string;
  /** Each engine's current-state table of the stream, by the watermark it owns (absent: never merged). */
  lake?: Partial<Record<LakeWatermark, LakeTableState>>;
}

/**
 * Whose current-state table a lake watermark belongs to. Each engine keeps its own table of a stream —
 * Athena the Iceberg table in AWS, DuckDB the Parquet tables on one machine — so each keeps its own
 * watermark and merge claim: a local merge against a deployed connection's state table never moves the
 * deployed table's watermark, and the other way round.
 */
export const LAKE_WATERMARKS = ["athena", "duckdb"] as const;
export type LakeWatermark = (typeof LAKE_WATERMARKS)[number];

/** One current-state table's progress: its watermark and the merge in progress, if any. */
export interface LakeTableState {
  /** Runs up to this commit number are in the table. */
  mergedSeq?: number;
  /** The merge in progress: who runs it, until when it is leased, and the run it merges through. */
  mergeHolder?: string;
  mergeExpiresAt?: number;
  mergeToSeq?: number;
  lastMergedAt?: string;
  /** Why the last merge failed (cleared by the next one that succeeds). */
  lastMergeError?: string;
}

export interface CommitUpdate {
  runId: string;
  cursor: string | undefined;
  cursorField: string | undefined;
  manifestKey: string;
  committedAt: string;
  /**
   * This commit's number: the stream's `commitSeq` plus one. The write requires the stream's sequence to
   * still be one less, so two commits can never take the same number.
   */
  commitSeq: number;
  /** The run reconciled the stream's Ids at this time (the snapshot's): recorded as `lastReconciledAt`. */
  reconciledAt?: string;
  /** The run read the stream's formula fields whole at this time: recorded as `lastFormulaRefreshAt`. */
  formulaRefreshedAt?: string;
  /**
   * A reconciliation this run needed but could not finish, by its reason: recorded as `reconcilePending`
   * (null: the run reconciled, or needed none, so nothing is owed; undefined: left as it was).
   */
  reconcilePending?: string | null;
}

/** A merge of the runs after the watermark `fromSeq` through `toSeq`, run by `holder`. */
export interface MergeClaim {
  holder: string;
  fromSeq: number;
  toSeq: number;
}

/** Identifies one inbound file version for load idempotency. */
export interface FileKey {
  bucket: string;
  key: string;
  /** S3 versionId when the bucket is versioned, else the ETag. */
  version: string;
}

export type FileStatus = "loading" | "succeeded" | "partial" | "failed";

export interface FileClaim extends FileKey {
  runId: string;
  status: FileStatus;
  claimedAt: string;
  finishedAt?: string;
  summaryKey?: string;
}

/** DynamoDB-backed state. Every change is a conditional write. */
export interface StateStore {
  get(key: StreamKey): Promise<StreamState | undefined>;
  list(connection: string): Promise<StreamState[]>;
  /**
   * Take the stream's lease for `holder` until `now + leaseMs`. Succeeds when there is no lease, the
   * lease expired, or `holder` already holds it. Otherwise throws LeaseConflictError naming the holder
   * and its expiry. Returns the state as it stands after the write.
   */
  acquireLease(key: StreamKey, holder: string, leaseMs: number, now: number): Promise<StreamState>;
  /** Extend a lease `holder` still holds; throws LeaseConflictError when it was lost. */
  renewLease(key: StreamKey, holder: string, leaseMs: number, now: number): Promise<void>;
  /**
   * Advance the cursor and record the run, only while `holder` holds the lease (conditional write),
   * and release the lease. Throws LeaseConflictError when the lease was lost: nothing is changed.
   */
  commit(key: StreamKey, holder: string, update: CommitUpdate): Promise<void>;
  /** Release a lease `holder` holds, recording a failed run; the cursor is untouched. No-op when not held. */
  release(key: StreamKey, holder: string, outcome: { status: RunStatus; error?: string }): Promise<void>;

  /**
   * Take the merge lease of the table `watermark` names for `claim.holder` until `now + leaseMs`: only
   * while its watermark is still `claim.fromSeq` and no other merge of it holds an unexpired lease (the
   * holder itself may renew it); other tables' watermarks and claims are neither read nor changed.
   * Throws LeaseConflictError naming the other merge, or the watermark that moved; nothing is changed.
   */
  claimMerge(
    key: StreamKey,
    watermark: LakeWatermark,
    claim: MergeClaim,
    leaseMs: number,
    now: number,
  ): Promise<void>;
  /**
   * Advance the table's watermark from `claim.fromSeq` to `claim.toSeq` and release its merge lease: a
   * write that requires the previous watermark and the holder's lease. Throws LeaseConflictError otherwise.
   */
  advanceMerged(key: StreamKey, watermark: LakeWatermark, claim: MergeClaim, mergedAt: string): Promise<void>;
  /** Release a merge lease `holder` holds without moving the watermark, recording why. No-op when not held. */
  releaseMerge(
    key: StreamKey,
    watermark: LakeWatermark,
    holder: string,
    error: string | undefined,
  ): Promise<void>;

  /**
   * Claim an inbound file version for `runId`. Returns `{ claimed: true }` for the first claim, or the
   * existing claim (with the first run's id and status) when the file was claimed before.
   */
  claimFile(
    file: FileKey,
    runId: string,
    now: Date,
  ): Promise<{ claimed: true } | { claimed: false; existing: FileClaim }>;
  /** Record the outcome of a claimed file's load (conditional on `runId` holding the claim). */
  finishFile(
    file: FileKey,
    runId: string,
    outcome: { status: FileStatus; summaryKey?: string },
    now: Date,
  ): Promise<void>;
  getFile(file: FileKey): Promise<FileClaim | undefined>;
}

/** Secrets Manager, or the environment / a file in local mode. Implementations cache warm reads. */
export interface SecretSource {
  /** The secret's string value. Throws ConfigurationError naming the secret id (never its value). */
  getSecretString(secretId: string): Promise<string>;
}

/** Structured logging (Powertools Logger in Lambdas). Never pass secret values. */
export interface Log {
  debug(message: string, extra?: Record<string, unknown>): void;
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

/** The units the connector's metrics use. */
export type MetricUnit = "Count" | "Bytes" | "Seconds";

/** One figure: a metric name (`METRICS` in functions/contract.ts), its unit and value. */
export interface MetricFigure {
  name: string;
  unit: MetricUnit;
  value: number;
}

/**
 * Figures for CloudWatch (Powertools Metrics, embedded metric format, in Lambdas). `object` scopes them to
 * one Salesforce object; without it they are the connection's (the org's limits). Never pass secrets:
 * names and numbers only.
 */
export interface Metrics {
  publish(figures: readonly MetricFigure[], scope?: { object?: string }): void;
}

/** Metrics that go nowhere (tests, and local runs unless asked for). */
export const NO_METRICS: Metrics = { publish: () => undefined };
