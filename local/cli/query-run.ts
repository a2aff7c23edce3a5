/**
 * `saddledata query`: SQL run by DuckDB over the local lake, every stream's current-state table
 * (`account`) and change log (`account_changes`), answered as rows of JSON-safe values.
 */

import { ConfigurationError } from "../../functions/errors";
import type { Runtime } from "../../functions/runtime/runtime";
import { openRuntimeLake } from "../lake/local-lake";
import { jsonValue, textValue } from "../lake/sql-values";
import { table } from "./text-format";

const NUMERIC = /^(U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)|FLOAT|DOUBLE|DECIMAL)/;

export interface QueryResult {
  columns: string[];
  /** Each row's values as DuckDB text (NULL for null), in column order. */
  cells: string[][];
  /** Each row as an object of JSON-safe values (see local/lake/sql-values.ts). */
  rows: Record<string, unknown>[];
  /** Whether each column is numeric (right-aligned in text). */
  numeric: boolean[];
  /** Tables whose latest committed runs are not merged yet. */
  behind: Array<{ table: string; runs: number }>;
}

export async function runQuery(runtime: Runtime, sql: string, storage: string): Promise<QueryResult> {
  const lake = await openRuntimeLake(runtime);
  try {
    if (lake.tables.length === 0) {
      throw new ConfigurationError(
        `The lake of connection ${runtime.config.connection} in ${storage} is empty: no object has a committed run. Run saddledata sync first (with the same --state-dir and --connection).`,
      );
    }
    let reader: Awaited<ReturnType<typeof lake.connection.runAndReadAll>>;
    try {
      reader = await lake.connection.runAndReadAll(sql);
    } catch (error) {
      const tables = lake.tables.map((info) => info.table).join(", ");
      throw new ConfigurationError(
        `${error instanceof Error ? error.message : String(error)} (tables: ${tables}, each with a change log <table>_changes)`,
      );
    }
    const columns = reader.columnNames();
    const numeric = reader.columnTypes().map((type) => NUMERIC.test(String(type)));
    const values = reader.getRows();
    return {
      columns,
      numeric,
      cells: values.map((row) => row.map(textValue)),
      rows: values.map((row) =>
        Object.fromEntries(columns.map((name, i) => [name, jsonValue(row[i] ?? null)])),
      ),
      behind: lake.tables
        .filter((info) => info.mergedSeq < info.commitSeq)
        .map((info) => ({ table: info.table, runs: info.commitSeq - info.mergedSeq })),
    };
  } finally {
    lake.close();
  }
}

/** Rows as an aligned table (numbers right-aligned), then the row count. */
export function queryText(result: QueryResult): string {
  if (result.columns.length === 0) return "(no result)\n";
  const headers = result.columns.map((name, column) => (result.numeric[column] ? `>${name}` : name));
  const rows = result.cells.length === 1 ? "1 row" : `${result.cells.length} rows`;
  return `${table(headers, result.cells, "")}\n(${rows})\n`;
}
