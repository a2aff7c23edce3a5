/**
 * The MERGE that brings a stream's current-state table up to date with committed runs: one statement,
 * the same text for Athena (engine v3, Trino, over Iceberg) and DuckDB, so it uses only what both accept
 * (MERGE INTO … USING (subquery) … WHEN [NOT] MATCHED [AND …], row_number() OVER, a VALUES table with
 * column aliases, double-quoted identifiers).
 *
 * The source holds one row per Id, as MERGE requires: the latest version across the runs merged, by
 * the runs' commit order, then the cursor field. A row flagged IsDeleted, or found in the org's delete
 * log or missing from its Id snapshot (`_origin` `getDeleted`, `reconcile`), deletes; others (rows fetched
 * again by Id reconciliation, `refetch`, included) update or insert every column of the stream.
 */
import { ConfigurationError } from "../../errors";
import type { CatalogStream } from "../catalog";
import { changeLogTableName, currentTableName } from "./athena-requests";
import { DELETE_ORIGINS, lakeColumnName, lakeColumns, ORIGIN_COLUMN } from "./lake-names";

/** A committed run to merge, with its number in the stream's commit sequence. */
export interface MergeRun {
  runId: string;
  seq: number;
}

/** Merges take at most this many runs each (a catching-up merge takes several). */
export const MAX_RUNS_PER_MERGE = 100;

/** A double-quoted SQL identifier. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A single-quoted SQL string literal. */
export function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

export function buildMergeSql(
  stream: Pick<
    CatalogStream,
    "object" | "fields" | "selectFields" | "lakeTypes" | "cursorField" | "hasIsDeleted"
  >,
  runs: MergeRun[],
): string {
  if (runs.length === 0 || runs.length > MAX_RUNS_PER_MERGE) {
    throw new ConfigurationError(
      `${stream.object}: a merge takes 1 to ${MAX_RUNS_PER_MERGE} runs, not ${runs.length}`,
      { object: stream.object },
    );
  }
  const columns = lakeColumns(stream).map((column) => quoteIdentifier(column.name));
  const id = quoteIdentifier(lakeColumnName("Id"));
  if (!columns.includes(id)) {
    throw new ConfigurationError(`${stream.object} has no Id field to merge on`, { object: stream.object });
  }
  // A row deletes when it is flagged IsDeleted (queryAll) or came from the org's delete log (an object
  // without a recycle bin has no IsDeleted, but its deletes are logged all the same).
  // A logged delete is dated (the cursor holds its deleted date): it never removes a version the table
  // holds from after it (a record undeleted since, whose delete an overlapping window reports again).
  const origin = quoteIdentifier(ORIGIN_COLUMN);
  // Id reconciliation's delete rows are dated the same way (by the org's Id snapshot).
  const logged = `coalesce(s.${origin} IN (${DELETE_ORIGINS.map(sqlString).join(", ")}), false)`;
  const cursor = stream.cursorField ? quoteIdentifier(lakeColumnName(stream.cursorField)) : undefined;
  const fresh =
    cursor === undefined
      ? "true"
      : `(t.${cursor} IS NULL OR s.${cursor} IS NULL OR s.${cursor} >= t.${cursor})`;
  const flagged =
    stream.hasIsDeleted && stream.selectFields.includes("IsDeleted")
      ? `coalesce(s.${quoteIdentifier(lakeColumnName("IsDeleted"))}, false)`
      : undefined;
  // A logged row (flagged IsDeleted too, for the change log's readers) deletes only when fresh.
  const deletes =
    flagged === undefined
      ? cursor === undefined
        ? logged
        : `(${logged} AND ${fresh})`
      : `(CASE WHEN ${logged} THEN ${fresh} ELSE ${flagged} END)`;
  const deleted = flagged === undefined ? logged : `(${flagged} OR ${logged})`;
  const order = [`r."seq" DESC`];
  if (stream.cursorField)
    order.push(`c.${quoteIdentifier(lakeColumnName(stream.cursorField))} DESC NULLS LAST`);
  const values = runs.map((run) => `(${sqlString(run.runId)}, ${Math.trunc(run.seq)})`).join(", ");
  const runList = runs.map((run) => sqlString(run.runId)).join(", ");
  const updated = columns.filter((column) => column !== id);
  return [
    `MERGE INTO ${quoteIdentifier(currentTableName(stream.object))} AS t`,
    "USING (",
    `  SELECT ${[...columns, origin].join(", ")}`,
    "  FROM (",
    `    SELECT ${[...columns, origin].map((column) => `c.${column}`).join(", ")},`,
    `      row_number() OVER (PARTITION BY c.${id} ORDER BY ${order.join(", ")}) AS "_rank"`,
    `    FROM ${quoteIdentifier(changeLogTableName(stream.object))} AS c`,
    `    JOIN (VALUES ${values}) AS r ("run_id", "seq") ON c."run" = r."run_id"`,
    `    WHERE c."run" IN (${runList})`,
    "  ) AS ranked",
    `  WHERE "_rank" = 1`,
    ") AS s",
    `ON t.${id} = s.${id}`,
    `WHEN MATCHED AND ${deletes} THEN DELETE`,
    ...(updated.length === 0
      ? []
      : [
          `WHEN MATCHED AND NOT ${logged} THEN UPDATE SET ${updated.map((column) => `${column} = s.${column}`).join(", ")}`,
        ]),
    `WHEN NOT MATCHED AND NOT ${deleted} THEN INSERT (${columns.join(", ")}) VALUES (${columns.map((column) => `s.${column}`).join(", ")})`,
  ].join("\n");
}
