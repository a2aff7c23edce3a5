/**
 * The whole local lake in one DuckDB connection, for SQL by hand (`saddledata query`): every stream
 * with a committed run gets its change log `<object>_changes` (every run committed so far), its
 * current-state table `<object>` as merged through its watermark (empty before its first merge): the
 * DuckDB engine's watermark, whatever an Athena table of the same stream has merged), and, when it has a
 * cursor field, its history `<object>_history` (a view over the change log, the SELECT Athena's view
 * runs: core/lake/history-sql.ts).
 */

import type { DuckDBConnection } from "@duckdb/node-api";
import { readStream } from "../../functions/core/catalog-store";
import {
  changeLogTableName,
  currentTableName,
  historyTableName,
} from "../../functions/core/lake/athena-requests";
import { readCommitPointers } from "../../functions/core/lake/commit-index";
import { buildHistorySelect } from "../../functions/core/lake/history-sql";
import { quoteIdentifier } from "../../functions/core/lake/merge-sql";
import type { Layout } from "../../functions/core/layout";
import type { ObjectStore, StateStore } from "../../functions/core/ports";
import { ConfigurationError } from "../../functions/errors";
import type { Runtime } from "../../functions/runtime/runtime";
import { DUCKDB_WATERMARK, DuckDbLakeEngine, openDuckDb } from "./duckdb-engine";
import { createChangeLogView, type LakeCache, loadCurrentTable } from "./lake-tables";

export interface LakeTableInfo {
  object: string;
  /** The current-state table and the change log, by their SQL names. */
  table: string;
  changes: string;
  /** The history view (absent for a stream without a cursor field). */
  history?: string;
  /** Runs committed, and merged into the (DuckDB) current-state table. */
  commitSeq: number;
  mergedSeq: number;
}

export interface LocalLake {
  connection: DuckDBConnection;
  tables: LakeTableInfo[];
  close(): void;
}

export async function openLocalLake(input: {
  store: ObjectStore;
  state: StateStore;
  layout: Layout;
  connection: string;
  cache: LakeCache;
}): Promise<LocalLake> {
  const streams = (await input.state.list(input.connection)).filter((stream) => (stream.commitSeq ?? 0) > 0);
  const db = await openDuckDb({ tempDirectory: await input.cache.spillDirectory() });
  const tables: LakeTableInfo[] = [];
  try {
    for (const item of streams) {
      const commitSeq = item.commitSeq ?? 0;
      const mergedSeq = item.lake?.[DUCKDB_WATERMARK]?.mergedSeq ?? 0;
      const pointers = await readCommitPointers(input.store, input.layout, item.object, 0, commitSeq);
      const newest = pointers.at(-1);
      if (newest === undefined) continue;
      const stream = await readStream(input.store, newest.catalogKey);
      await createChangeLogView(db.connection, input.store, input.cache, stream, pointers);
      const history = stream.cursorField === null ? undefined : historyTableName(item.object);
      if (history !== undefined) {
        await db.connection.run(
          `CREATE OR REPLACE VIEW ${quoteIdentifier(history)} AS ${buildHistorySelect(stream)}`,
        );
      }
      const current = mergedSeq === 0 ? undefined : input.layout.localLakeTable(item.object, mergedSeq);
      await loadCurrentTable(db.connection, input.cache, stream, current);
      if (current !== undefined) await input.cache.drop(current);
      tables.push({
        object: item.object,
        table: currentTableName(item.object),
        changes: changeLogTableName(item.object),
        ...(history === undefined ? {} : { history }),
        commitSeq,
        mergedSeq,
      });
    }
  } catch (error) {
    db.close();
    throw error;
  }
  return { connection: db.connection, tables, close: () => db.close() };
}

/** The local lake of a runtime whose lake engine is DuckDB (local mode), cached in the engine's cache. */
export async function openRuntimeLake(runtime: Runtime): Promise<LocalLake> {
  const engine = await runtime.lake();
  if (!(engine instanceof DuckDbLakeEngine)) {
    throw new ConfigurationError("saddledata query needs the local lake engine (DuckDB).");
  }
  return openLocalLake({
    store: runtime.store,
    state: runtime.state,
    layout: runtime.layout,
    connection: runtime.config.connection,
    cache: await engine.lakeCache(),
  });
}
