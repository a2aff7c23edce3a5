/**
 * The merge benchmark's rows, as DuckDB SQL over `range(from, to)`: every lake column of the bench
 * object filled from the row number and a version. Version 1 is the current-state table, version 2 the
 * change run: the same Ids (row `i` is Id `a0B…i`), every other column different (the cursor field a
 * month later), so merging version 2 into version 1 updates every row. Strings are mostly hex of a hash
 * (so they compress like real text rather than like a constant), ~10 % of each nullable column null.
 */
import type { CatalogStream } from "../../functions/core/catalog";
import { type LakeColumn, lakeColumns, RUN_ID_COLUMN } from "../../functions/core/lake/lake-names";
import { quoteIdentifier, sqlString } from "../../functions/core/lake/merge-sql";

export interface GeneratedRows {
  /** Rows `from` (inclusive) to `to` (exclusive). */
  from: number;
  to: number;
  version: 1 | 2;
  /** The change log's run id (a `_run_id` column, as Parquet parts carry it); absent for the table. */
  runId?: string;
  /**
   * Datetimes as UTC instants (TIMESTAMPTZ), as extract's Parquet parts write them (UTC-adjusted);
   * otherwise as the tables declare them (`timestamp`).
   */
  instants?: boolean;
}

/** A string column's longest value: long text areas, shorter notes, short everything else. */
function stringLength(column: LakeColumn): number {
  if (column.name === "description__c") return 400;
  if (column.sfType === "textarea") return 120;
  return 24;
}

/** The value of one column for row `i`: `h` is a hash of the row, the column and the version. */
function columnValue(column: LakeColumn, cursor: string | undefined, version: number): string {
  const h = `hash(i, ${sqlString(column.name)}, ${version})`;
  const nullable = (expression: string) => `CASE WHEN ${h} % 10 = 0 THEN NULL ELSE ${expression} END`;
  if (column.name === "id") return `'a0B' || lpad(CAST(i AS VARCHAR), 15, '0')`;
  if (column.name === "isdeleted") return "false";
  if (column.name === cursor) {
    return `TIMESTAMP '2026-0${version}-01 00:00:00' + to_milliseconds(CAST(i AS BIGINT))`;
  }
  const type = column.type;
  switch (type.kind) {
    case "string": {
      const max = stringLength(column);
      return nullable(
        `left(repeat(md5(CAST(${h} AS VARCHAR)), ${Math.ceil(max / 32)}), 4 + CAST(${h} % ${max - 3} AS INTEGER))`,
      );
    }
    case "boolean":
      return `${h} % 2 = 0`;
    case "int":
      return nullable(`CAST(${h} % 100000 AS INTEGER)`);
    case "bigint":
      return nullable(`CAST(${h} % 1000000000000 AS BIGINT)`);
    case "double":
      return nullable(`CAST(${h} % 100000000 AS DOUBLE) / 10000`);
    case "decimal": {
      // Digits below the precision (at most 15, which a double holds exactly), `scale` of them decimals.
      const digits = Math.min(type.precision - 1, 15);
      return nullable(`CAST(${h} % ${10 ** digits} AS DOUBLE) / ${10 ** type.scale}`);
    }
    case "date":
      return nullable(`DATE '2000-01-01' + CAST(${h} % 9000 AS INTEGER)`);
    case "timestamp":
      return nullable(`TIMESTAMP '2015-01-01' + to_milliseconds(CAST(${h} % 300000000000 AS BIGINT))`);
  }
}

/**
 * `SELECT` of the generated rows with the stream's lake columns, typed as the tables declare them
 * (`CAST(… AS decimal(18,2))`…), then `_run_id` when the rows are a change run's.
 */
export function generatedSelect(
  stream: Pick<CatalogStream, "fields" | "selectFields" | "cursorField">,
  rows: GeneratedRows,
): string {
  const cursor = stream.cursorField?.toLowerCase();
  const columns = lakeColumns(stream).map((column) => {
    const type = rows.instants && column.type.kind === "timestamp" ? "TIMESTAMPTZ" : column.athenaType;
    return `CAST(${columnValue(column, cursor, rows.version)} AS ${type}) AS ${quoteIdentifier(column.name)}`;
  });
  if (rows.runId !== undefined) {
    columns.push(`${sqlString(rows.runId)} AS ${quoteIdentifier(RUN_ID_COLUMN)}`);
  }
  return `SELECT ${columns.join(", ")} FROM range(${rows.from}, ${rows.to}) AS r(i)`;
}
