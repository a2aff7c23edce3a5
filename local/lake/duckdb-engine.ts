// local/lake/: the lake on one machine: embedded DuckDB over the bucket's parts and Parquet tables
/**
 * The LakeEngine on one machine: embedded DuckDB over the runtime's object store (the embedded bucket,
 * or a real one in `--aws` mode). A stream's current-state table is one Parquet object per watermark,
 * `lake-local/<Object>/<seq>.parquet`: a merge loads the table of the watermark it starts from, runs the
 * MERGE text core/lake built over a change-log view of the runs being merged, and writes the result as
 * the table of the watermark it merges through. Only then does the merge step advance the watermark, so
 * a merge whose advance never happened is simply done again from the old table: never applied twice.
 *
 * Its watermark is its own (`duckdb`): against a deployed connection's state table, a local merge never
 * moves the watermark of the deployed Athena table, nor does an Athena merge move this one.
 *
 * Files live in a cache folder (`cacheDir`, or a temporary folder `close` removes): downloaded parts,
 * scratch files, and DuckDB's spill files (a large merge spills there, never into the working
 * directory). `close` trims a kept cache folder to `cacheBytes`.
 *
 * DuckDB's JSON and Parquet readers are built in (no extension is downloaded; there may be no network).
 */
import { randomBytes } from "node:crypto";
import { createReadStream, rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import type { CatalogStream } from "../../functions/core/catalog";
import { currentTableName } from "../../functions/core/lake/athena-requests";
import { readCommitPointers } from "../../functions/core/lake/commit-index";
import type { LakeEngine, LakeQueryState } from "../../functions/core/lake/lake-engine";
import { quoteIdentifier, sqlString } from "../../functions/core/lake/merge-sql";
import type { ReconcileKind } from "../../functions/core/lake/reconcile-sql";
import type { Layout } from "../../functions/core/layout";
import type { LakeWatermark, Log, ObjectStore, StateStore } from "../../functions/core/ports";
import { ConfigurationError, describeError } from "../../functions/errors";
import { createChangeLogView, createIdsView, LakeCache, loadCurrentTable } from "./lake-tables";
import { cellValue } from "./sql-values";

export interface DuckDbLakeOptions {
  store: ObjectStore;
  state: StateStore;
  layout: Layout;
  connection: string;
  log: Log;
  /** Where downloaded parts and tables are kept (default: a temporary folder that `close` removes). */
  cacheDir?: string;
  /** What a kept `cacheDir` may hold after `close` (default `LAKE_CACHE_BYTES`). */
  cacheBytes?: number;
}

/** The watermark of the current-state tables DuckDB keeps on one machine (`lake-local/`). */
export const DUCKDB_WATERMARK: LakeWatermark = "duckdb";

/** A kept cache folder is trimmed to this at the end of each command: 1 GiB. */
export const LAKE_CACHE_BYTES = 1024 ** 3;

/**
 * A DuckDB database in memory that loads no extension from the network (JSON and Parquet are built in),
 * its session in UTC: the lake's `timestamp` columns hold UTC, and Parquet parts write datetimes as
 * UTC-adjusted instants (TIMESTAMPTZ to DuckDB), which DuckDB would otherwise cast to `timestamp` in
 * the machine's time zone, shifting every datetime of the current-state tables by its offset.
 *
 * What does not fit in memory spills to `tempDirectory` (default: a fresh folder under the system's
 * temporary folder), a folder of its own that `close` removes: DuckDB's default is `.tmp` in the
 * working directory, which a crash would leave behind, wherever the command was run.
 */
export async function openDuckDb(
  options: { tempDirectory?: string } = {},
): Promise<{ connection: DuckDBConnection; close(): void }> {
  const spill =
    options.tempDirectory ?? join(tmpdir(), `saddledata-duckdb-${randomBytes(6).toString("hex")}`);
  const instance = await DuckDBInstance.create(":memory:", {
    autoinstall_known_extensions: "false",
    autoload_known_extensions: "false",
    temp_directory: spill,
  });
  const close = () => {
    instance.closeSync();
    rmSync(spill, { recursive: true, force: true });
  };
  let connection: DuckDBConnection;
  try {
    connection = await instance.connect();
  } catch (error) {
    close();
    throw error;
  }
  try {
    // ICU (built in) must be loaded before its setting exists, so it cannot be a creation option.
    await connection.run("SET TimeZone = 'UTC'");
  } catch (error) {
    connection.closeSync();
    close();
    throw error;
  }
  return {
    connection,
    close() {
      connection.closeSync();
      close();
    },
  };
}

export class DuckDbLakeEngine implements LakeEngine {
  readonly watermark = DUCKDB_WATERMARK;
  private readonly statements = new Map<string, LakeQueryState>();
  private cache: Promise<{ cache: LakeCache; temporary?: string }> | undefined;

  constructor(private readonly options: DuckDbLakeOptions) {}

  /** The cache of downloaded files (made on first use). */
  lakeCache(): Promise<LakeCache> {
    this.cache ??= (async () => {
      if (this.options.cacheDir !== undefined) {
        return { cache: new LakeCache(this.options.store, this.options.cacheDir) };
      }
      const temporary = await mkdtemp(join(tmpdir(), "saddledata-lake-"));
      return { cache: new LakeCache(this.options.store, temporary), temporary };
    })();
    return this.cache.then((made) => made.cache);
  }

  /** DuckDB builds both tables from the bucket when a statement runs: nothing to create ahead. */
  async ensureTables(_stream: CatalogStream, _history?: string): Promise<void> {}

  /** The change-log view reads the parts the runs' manifests name: nothing to register. */
  async addRun(_stream: CatalogStream, _run: { runId: string; runDate: string }): Promise<void> {}

  /**
   * Run the merge the stream's claim on this engine's watermark describes (from the watermark through
   * `mergeToSeq`) and store the table it makes. Its outcome, success or the statement's error, is what
   * `status` answers.
   */
  async startMerge(stream: CatalogStream, sql: string): Promise<string> {
    const { store, state, layout, connection: connectionName } = this.options;
    const item = await state.get({ connection: connectionName, object: stream.object });
    const table = item?.lake?.[this.watermark];
    const fromSeq = table?.mergedSeq ?? 0;
    const toSeq = table?.mergeToSeq;
    if (table?.mergeHolder === undefined || toSeq === undefined) {
      throw new ConfigurationError(
        `${stream.object}: no merge is claimed, so there is no watermark to merge through`,
        { object: stream.object },
      );
    }
    const queryId = `duckdb-${stream.object}-${fromSeq}-${toSeq}-${randomBytes(4).toString("hex")}`;
    const cache = await this.lakeCache();
    const db = await openDuckDb({ tempDirectory: await cache.spillDirectory() });
    let output: string | undefined;
    try {
      const pointers = await readCommitPointers(store, layout, stream.object, fromSeq, toSeq);
      await createChangeLogView(db.connection, store, cache, stream, pointers);
      const current = fromSeq === 0 ? undefined : layout.localLakeTable(stream.object, fromSeq);
      await loadCurrentTable(db.connection, cache, stream, current);
      // In memory now: its download is never read again (the next merge starts from the table this writes).
      if (current !== undefined) await cache.drop(current);
      await db.connection.run(sql);
      output = await cache.scratch(`${stream.object}-${toSeq}.parquet`);
      await db.connection.run(
        `COPY ${quoteIdentifier(currentTableName(stream.object))} TO ${sqlString(output)} (FORMAT parquet, COMPRESSION zstd)`,
      );
      await store.upload(layout.localLakeTable(stream.object, toSeq), createReadStream(output), {
        contentType: "application/vnd.apache.parquet",
      });
      await this.dropSuperseded(stream.object, fromSeq);
      this.statements.set(queryId, { state: "succeeded" });
    } catch (error) {
      // DuckDB's messages point at the SQL over several lines; one line suits a log and a state item.
      const message = String(describeError(error).message ?? error).replace(/\s*\n\s*/g, " ");
      this.options.log.warn("lake: DuckDB merge failed", { object: stream.object, queryId, error: message });
      this.statements.set(queryId, { state: "failed", error: message });
    } finally {
      db.close();
      if (output !== undefined) await rm(output, { force: true });
    }
    return queryId;
  }

  /**
   * Delete the tables of watermarks before `fromSeq`: the watermark is at `fromSeq` (this merge holds
   * its claim), so no reader starts from them again. The table of `fromSeq` stays until the watermark
   * has moved past it (the next merge deletes it), so a merge whose advance failed can run again.
   */
  private async dropSuperseded(object: string, fromSeq: number): Promise<void> {
    const { store, layout } = this.options;
    const keep = layout.localLakeTable(object, fromSeq);
    const old: string[] = [];
    for await (const info of store.list(layout.localLakeFolder(object))) {
      if (info.key < keep) old.push(info.key);
    }
    for (const key of old) await store.delete(key);
  }

  /** DuckDB needs no maintenance statement: each merge writes its table whole, in one file. */
  maintenance(_stream: CatalogStream): string[] {
    return [];
  }

  async startMaintenance(stream: CatalogStream, _sql: string): Promise<string> {
    throw new ConfigurationError(`${stream.object}: DuckDB's tables have no maintenance statements`, {
      object: stream.object,
    });
  }

  /**
   * The comparison over the table of the watermark `mergedSeq` (its Parquet file) and a view of the
   * snapshot's parts, both downloaded into the cache; the snapshot's parts are dropped from it after.
   */
  async compareIds(
    stream: CatalogStream,
    snapshot: { runId: string; mergedSeq: number; folder: string; keys: string[] },
    sql: string,
  ): Promise<Array<{ kind: ReconcileKind; id: string }>> {
    const { layout } = this.options;
    const cache = await this.lakeCache();
    const db = await openDuckDb({ tempDirectory: await cache.spillDirectory() });
    const files: string[] = [];
    try {
      const current =
        snapshot.mergedSeq === 0 ? undefined : layout.localLakeTable(stream.object, snapshot.mergedSeq);
      await loadCurrentTable(db.connection, cache, stream, current);
      if (current !== undefined) await cache.drop(current);
      for (const key of snapshot.keys) files.push(await cache.file(key, true));
      await createIdsView(db.connection, stream, files);
      const reader = await db.connection.runAndReadAll(sql);
      return reader.getRowObjectsJS().map((row) => ({
        kind: String(row.kind) as ReconcileKind,
        id: String(row.id),
      }));
    } finally {
      db.close();
      for (const key of snapshot.keys) await cache.drop(key);
    }
  }

  /**
   * A load's comparison over the table of the watermark `mergedSeq` (its Parquet file): values as
   * same-value.ts reads them, decimals and big integers as their digits (never through a double).
   */
  async currentValues(
    stream: CatalogStream,
    mergedSeq: number,
    sql: string,
  ): Promise<Array<Record<string, unknown>>> {
    const { layout } = this.options;
    const cache = await this.lakeCache();
    const db = await openDuckDb({ tempDirectory: await cache.spillDirectory() });
    try {
      const current = mergedSeq === 0 ? undefined : layout.localLakeTable(stream.object, mergedSeq);
      await loadCurrentTable(db.connection, cache, stream, current);
      const reader = await db.connection.runAndReadAll(sql);
      return reader
        .getRowObjects()
        .map((row) =>
          Object.fromEntries(Object.entries(row).map(([name, value]) => [name, cellValue(value)])),
        );
    } finally {
      db.close();
    }
  }

  async status(queryId: string): Promise<LakeQueryState> {
    return (
      this.statements.get(queryId) ?? {
        state: "failed",
        error: `DuckDB statement ${queryId} is unknown here: the process that ran it has ended`,
      }
    );
  }

  /** Remove the temporary cache folder, if one was made; trim a kept one to `cacheBytes`. */
  async close(): Promise<void> {
    const made = await this.cache;
    this.cache = undefined;
    if (made === undefined) return;
    if (made.temporary !== undefined) {
      await rm(made.temporary, { recursive: true, force: true });
      return;
    }
    const removed = await made.cache.trim(this.options.cacheBytes ?? LAKE_CACHE_BYTES);
    if (removed.files > 0) {
      this.options.log.info("lake: cache trimmed", { directory: made.cache.directory, ...removed });
    }
  }
}
