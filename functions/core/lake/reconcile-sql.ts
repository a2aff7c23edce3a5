/**
 * Id reconciliation's comparison: the org's Id snapshot (table `<object>_ids`, one row per live Id with
 * its cursor field) against the stream's current-state table, anti-joins both ways in one statement.
 * The same text for Athena (Trino) and DuckDB, like the MERGE beside it: NOT EXISTS, UNION ALL,
 * TIMESTAMP literals and double-quoted identifiers, which both accept. Only the snapshot table's
 * definition differs (Glue in athena-requests.ts, a view over the parts in local/lake).
 *
 * - `delete`: Ids the table holds but the org no longer has. Only rows not modified after the snapshot:
 *   a record the table holds from after it is never removed (the delete rows are dated by the snapshot,
 *   and the MERGE keeps a newer version anyway).
 * - `missing`: Ids the org has but the table lacks, last modified before the run's window: those the
 *   run's own query did not read (a record modified in the window is in the run's rows already).
 */
import type { CatalogStream } from "../catalog";
import { currentTableName, idsTableName } from "./athena-requests";

export { idsTableName };

import { lakeColumnName } from "./lake-names";
import { quoteIdentifier } from "./merge-sql";

export type { ReconcileKind } from "./lake-engine";

/** A UTC instant as a TIMESTAMP literal both engines read: `TIMESTAMP '2026-06-01 12:00:00.000'`. */
export function timestampLiteral(iso: string): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new RangeError(`not a datetime: ${iso}`);
  return `TIMESTAMP '${new Date(ms).toISOString().replace("T", " ").replace("Z", "")}'`;
}

/**
 * The comparison: rows of (`kind`, `id`). `snapshotAt` is the org's time of the snapshot; `windowStart`
 * the start of the run's window (rows modified from it on are the run's query's).
 */
export function buildReconcileSql(
  stream: Pick<CatalogStream, "object" | "cursorField">,
  times: { snapshotAt: string; windowStart?: string },
): string {
  const table = quoteIdentifier(currentTableName(stream.object));
  const ids = quoteIdentifier(idsTableName(stream.object));
  const id = quoteIdentifier(lakeColumnName("Id"));
  const cursor = stream.cursorField ? quoteIdentifier(lakeColumnName(stream.cursorField)) : undefined;
  const notAfterSnapshot =
    cursor === undefined
      ? ""
      : `\n  AND (t.${cursor} IS NULL OR t.${cursor} <= ${timestampLiteral(times.snapshotAt)})`;
  const beforeWindow =
    cursor === undefined || times.windowStart === undefined
      ? ""
      : `\n  AND (s.${cursor} IS NULL OR s.${cursor} < ${timestampLiteral(times.windowStart)})`;
  return [
    `SELECT 'delete' AS "kind", t.${id} AS "id"`,
    `FROM ${table} AS t`,
    `WHERE NOT EXISTS (SELECT 1 FROM ${ids} AS s WHERE s.${id} = t.${id})${notAfterSnapshot}`,
    "UNION ALL",
    `SELECT 'missing' AS "kind", s.${id} AS "id"`,
    `FROM ${ids} AS s`,
    `WHERE NOT EXISTS (SELECT 1 FROM ${table} AS t WHERE t.${id} = s.${id})${beforeWindow}`,
  ].join("\n");
}

/** The snapshot's columns: the Id and the stream's cursor field (Salesforce names, in order). */
export function snapshotFields(stream: Pick<CatalogStream, "cursorField">): string[] {
  return stream.cursorField ? ["Id", stream.cursorField] : ["Id"];
}
