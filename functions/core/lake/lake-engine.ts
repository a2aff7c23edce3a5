// functions/core/lake/: the lake: change-log and current-state tables per stream, and their merge
/**
 * The engine that runs the lake's SQL: Athena over Glue/Iceberg tables in AWS (functions/aws), embedded
 * DuckDB over Parquet in the local bucket on one machine (local/lake). Both run the same MERGE text
 * (core/lake builds it); only table management differs, so it is behind this port too.
 *
 * A statement is started and then polled, like a Bulk job: Athena runs it asynchronously and the state
 * machine waits between polls (never a Lambda); DuckDB finishes within `startMerge` and reports it at once.
 */
import type { CatalogStream } from "../catalog";
import type { LakeWatermark } from "../ports";

/** What an Id comparison row says of its Id: in the table but not the org, or the other way round. */
export type ReconcileKind = "delete" | "missing";

/** What a statement is doing. */
export type LakeQueryState =
  | { state: "running" }
  | { state: "succeeded" }
  | { state: "failed"; error: string };

export interface LakeEngine {
  /**
   * The watermark (and merge claim) of this engine's current-state tables in the state table: the merge
   * step reads and moves only this one, so another engine's table of the same stream is never skipped.
   */
  readonly watermark: LakeWatermark;
  /**
   * Make the stream's two tables exist with the stream's columns: create them, or add the columns of
   * fields added since (a removed or retyped field keeps its column). Idempotent. `history`, the
   * stream's history SELECT (core/lake/history-sql.ts), makes its `<object>_history` view too where the
   * engine keeps views (Athena: again whenever the columns change; DuckDB makes it when it reads).
   */
  ensureTables(stream: CatalogStream, history?: string): Promise<void>;
  /**
   * Make one committed run's change rows visible in the stream's change-log table (Glue: register the
   * run's partition; DuckDB: nothing to do, its views read the bucket). Idempotent.
   */
  addRun(stream: CatalogStream, run: { runId: string; runDate: string }): Promise<void>;
  /**
   * Start the stream's merge statement (the MERGE INTO its current-state table that core/lake builds);
   * the answer identifies it for `status`. DuckDB loads the table, runs it and stores the table back
   * before answering; Athena starts it and answers at once.
   */
  startMerge(stream: CatalogStream, sql: string): Promise<string>;
  /** The statement's state (DuckDB's are finished when `startMerge` returns). */
  status(queryId: string): Promise<LakeQueryState>;
  /**
   * The statements that keep the stream's current-state table compact, run one after the other by the
   * merge step every MAINTAIN_EVERY_RUNS merged runs (Athena: OPTIMIZE, then VACUUM). None when the
   * engine needs none (DuckDB writes each table whole and drops superseded ones as it merges).
   */
  maintenance(stream: CatalogStream): string[];
  /** Start one of the `maintenance` statements; polled with `status` like a merge. */
  startMaintenance(stream: CatalogStream, sql: string): Promise<string>;
  /**
   * Id reconciliation: make the run's Id snapshot (Parquet parts under `snapshot.folder`) the stream's
   * `<object>_ids` table, run the comparison core/lake/reconcile-sql.ts built against the current-state
   * table as merged through `snapshot.mergedSeq`, and answer its rows. It waits for the statement in
   * place (a comparison of Ids is a single pass over two narrow tables).
   */
  compareIds(
    stream: CatalogStream,
    snapshot: { runId: string; mergedSeq: number; folder: string; keys: string[] },
    sql: string,
  ): Promise<Array<{ kind: ReconcileKind; id: string }>>;
  /**
   * A load's comparison: run `sql` (core/lake/current-values-sql.ts) against the stream's current-state
   * table as merged through `mergedSeq` and answer its rows, waiting in place. Absent: the engine cannot,
   * and loads compare with the org instead.
   */
  currentValues?(
    stream: CatalogStream,
    mergedSeq: number,
    sql: string,
  ): Promise<Array<Record<string, unknown>>>;
}
