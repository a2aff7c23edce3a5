/**
 * The history table `<object>_history`: one row per version of each record, computed from the change
 * log, the same SELECT for Athena (a view in the Glue database) and DuckDB (a view `saddledata query`
 * reads). Only what both engines accept: window functions with ROWS frames, `first_value`, `lag`,
 * `lead`, `IS DISTINCT FROM`, CTEs, double-quoted identifiers.
 *
 * Every change-log row is an event at a time: a whole row (the run's query, a row fetched again) at its
 * cursor value; a partial row (formula refresh, new-field backfill) at its read time and a delete row
 * (the delete log, Id reconciliation) at its deleted date, both held in the cursor column. A record's
 * events are ordered by that time, then whole rows before partial rows before delete rows, then by run
 * id (deterministic, whatever the engine). Each event makes a version: each column takes its value from
 * the latest event up to it that holds the column (a whole row holds every column; a formula row the
 * formula fields; a backfill row the values it carries; a delete row none), `is_deleted` is true from a
 * delete row, or while the latest whole row says `IsDeleted`. A version equal to the one before (a window
 * read twice, a refresh that changed nothing) is not a new one. `valid_to` is the next version's
 * `valid_from`, null for the current version: versions never overlap and leave no gap.
 */
import { ConfigurationError } from "../../errors";
import type { CatalogStream } from "../catalog";
import { changeLogTableName } from "./athena-requests";
import { lakeColumnName, lakeColumns, ORIGIN_COLUMN } from "./lake-names";
import { quoteIdentifier, sqlString } from "./merge-sql";

/** The history view's own columns, after the stream's. */
export const HISTORY_COLUMNS = ["valid_from", "valid_to", "is_deleted"] as const;

/**
 * The history's SELECT over the change-log table. Streams without a cursor field have no time to
 * order versions by: refused (their history is not kept).
 */
export function buildHistorySelect(
  stream: Pick<
    CatalogStream,
    "object" | "fields" | "selectFields" | "lakeTypes" | "cursorField" | "hasIsDeleted"
  >,
): string {
  if (stream.cursorField === null) {
    throw new ConfigurationError(`${stream.object} has no cursor field, so it has no history table`, {
      object: stream.object,
    });
  }
  const columns = lakeColumns(stream);
  const id = quoteIdentifier(lakeColumnName("Id"));
  const cursor = quoteIdentifier(lakeColumnName(stream.cursorField));
  const origin = quoteIdentifier(ORIGIN_COLUMN);
  const isDeleted =
    stream.hasIsDeleted && stream.selectFields.includes("IsDeleted")
      ? quoteIdentifier(lakeColumnName("IsDeleted"))
      : undefined;
  const data = columns.filter((column) => quoteIdentifier(column.name) !== id);
  const calculated = new Set(stream.fields.filter((field) => field.calculated).map((field) => field.name));
  const holder = (index: number) => quoteIdentifier(`_h${index}`);
  const order = `PARTITION BY e.${id} ORDER BY e."_n"`;
  const upTo = `${order} ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW`;
  /** Which events hold a column: whole rows always; formula rows the formulas; backfill rows a value. */
  const holds = (column: (typeof data)[number]) => {
    const name = quoteIdentifier(column.name);
    if (name === cursor) return `e."_class" = 0`;
    const extra = calculated.has(column.field)
      ? ` OR e.${origin} = 'formula' OR (e.${origin} = 'backfill' AND e.${name} IS NOT NULL)`
      : ` OR (e.${origin} = 'backfill' AND e.${name} IS NOT NULL)`;
    return `e."_class" = 0${extra}`;
  };
  const changes = quoteIdentifier(changeLogTableName(stream.object));
  const names = data.map((column) => quoteIdentifier(column.name));
  const deleted = isDeleted === undefined ? "false" : `coalesce(v.${isDeleted}, false)`;
  const compared = [...names, `"is_deleted"`];
  const firstVersion = `lag(v."_n") OVER (PARTITION BY v.${id} ORDER BY v."_n") IS NULL`;
  return [
    "WITH e0 AS (",
    `  SELECT c.*, CASE WHEN c.${origin} IN (${["getDeleted", "reconcile"].map(sqlString).join(", ")}) THEN 2 WHEN c.${origin} IN (${["formula", "backfill"].map(sqlString).join(", ")}) THEN 1 ELSE 0 END AS "_class"`,
    `  FROM ${changes} AS c`,
    `  WHERE c.${cursor} IS NOT NULL`,
    "), e AS (",
    `  SELECT e0.*, row_number() OVER (PARTITION BY e0.${id} ORDER BY e0.${cursor}, e0."_class", e0."run") AS "_n"`,
    "  FROM e0",
    "), held AS (",
    `  SELECT e.${id}, e.${cursor} AS "_at", e."_class", e."_n", ${names.map((name) => `e.${name}`).join(", ")},`,
    `    ${data.map((column, index) => `max(CASE WHEN ${holds(column)} THEN e."_n" END) OVER (${upTo}) AS ${holder(index)}`).join(",\n    ")}`,
    "  FROM e",
    "), versions AS (",
    `  SELECT h.${id}, h."_at", h."_n", h."_class",`,
    `    ${data
      .map(
        (column, index) =>
          `CASE WHEN h.${holder(index)} IS NULL THEN NULL ELSE first_value(h.${quoteIdentifier(column.name)}) OVER (PARTITION BY h.${id}, h.${holder(index)} ORDER BY h."_n") END AS ${quoteIdentifier(column.name)}`,
      )
      .join(",\n    ")}`,
    "  FROM held AS h",
    "), flagged AS (",
    `  SELECT v.*, CASE WHEN v."_class" = 2 THEN true ELSE ${deleted} END AS "is_deleted"`,
    "  FROM versions AS v",
    "), changed AS (",
    `  SELECT v.*, ${firstVersion} OR ${compared
      .map((name) => `lag(v.${name}) OVER (PARTITION BY v.${id} ORDER BY v."_n") IS DISTINCT FROM v.${name}`)
      .join(" OR ")} AS "_changed"`,
    "  FROM flagged AS v",
    "), kept AS (",
    `  SELECT * FROM changed WHERE "_changed"`,
    ")",
    `SELECT k.${id}, ${names.map((name) => `k.${name}`).join(", ")}, k."_at" AS "valid_from", lead(k."_at") OVER (PARTITION BY k.${id} ORDER BY k."_n") AS "valid_to", k."is_deleted"`,
    "FROM kept AS k",
  ].join("\n");
}
