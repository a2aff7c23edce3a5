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
import {
  DELETE_ORIGINS,
  lakeColumnName,
  lakeColumns,
  ORIGIN_COLUMN,
  PARTIAL_ORIGINS,
  type RowOrigin,
} from "./lake-names";

/** A committed run to merge, with its number in the stream's commit sequence. */
export interface MergeRun {
  runId: string;
  seq: number;
  /** The run's partial rows, by pass (its commit pointer's `partials`): origin and fields, in read order. */
  partials?: Array<{ origin: RowOrigin; fields: string[] }>;
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
  const passes = partialPasses(stream, runs, id);
  if (passes.length > 0) {
    return buildPartialMergeSql(stream.object, {
      columns,
      id,
      origin,
      order,
      values,
      runList,
      passes,
      deletes,
      deleted,
      logged,
    });
  }
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

/** One pass of partial rows to apply: its run's place in the commit order and the columns it holds. */
interface PartialSource {
  runId: string;
  seq: number;
  origin: RowOrigin;
  columns: string[];
}

/** The batch's partial passes that hold columns the stream still has, oldest first (runs, then passes). */
function partialPasses(
  stream: Pick<CatalogStream, "fields" | "selectFields" | "lakeTypes">,
  runs: MergeRun[],
  id: string,
): PartialSource[] {
  const byField = new Map(lakeColumns(stream).map((column) => [column.field, quoteIdentifier(column.name)]));
  const passes: PartialSource[] = [];
  for (const run of [...runs].sort((a, b) => a.seq - b.seq)) {
    for (const pass of run.partials ?? []) {
      const columns = pass.fields.flatMap((field) => {
        const column = byField.get(field);
        return column === undefined || column === id ? [] : [column];
      });
      if (columns.length > 0)
        passes.push({ runId: run.runId, seq: Math.trunc(run.seq), origin: pass.origin, columns });
    }
  }
  return passes;
}

/**
 * The MERGE of a batch holding partial rows (formula refresh, new-field backfill): still one statement.
 * The source has one row per Id of the batch: its latest whole row (`f`, ranked as in the plain MERGE,
 * partial rows left out), and each partial pass's row (`p1`, `p2`…). A pass *applies* to an Id when it
 * has a row for it and no whole row of a later run does (a pass reads after its run's query, so it wins
 * over a whole row of its own run). Each column takes the value of the latest pass that applies and
 * holds it, else the whole row's; the UPDATE keeps the table's value of a column nothing in the batch
 * holds for that Id, so a partial row changes only its pass's columns. Deletes and inserts come from
 * whole rows alone: a partial row never creates a record (its record reaches the table by a query).
 */
function buildPartialMergeSql(
  object: string,
  parts: {
    columns: string[];
    id: string;
    origin: string;
    order: string[];
    values: string;
    runList: string;
    passes: PartialSource[];
    deletes: string;
    deleted: string;
    logged: string;
  },
): string {
  const { columns, id, origin, order, values, runList, passes, deletes, deleted, logged } = parts;
  const changes = quoteIdentifier(changeLogTableName(object));
  const partialOrigins = PARTIAL_ORIGINS.map(sqlString).join(", ");
  const alias = (index: number) => quoteIdentifier(`p${index + 1}`);
  const flag = (index: number) => quoteIdentifier(`_p${index + 1}`);
  const applies = (index: number) =>
    `(${alias(index)}.${id} IS NOT NULL AND (f."_seq" IS NULL OR f."_seq" <= ${(passes[index] as PartialSource).seq}))`;
  /** The passes holding `column`, latest first. */
  const holding = (column: string) =>
    passes.flatMap((pass, index) => (pass.columns.includes(column) ? [index] : [])).reverse();
  const updated = columns.filter((column) => column !== id);
  const sourceValue = (column: string) => {
    const indexes = holding(column);
    if (indexes.length === 0) return `f.${column}`;
    const whens = indexes.map((index) => `WHEN ${applies(index)} THEN ${alias(index)}.${column}`);
    return `CASE ${whens.join(" ")} ELSE f.${column} END`;
  };
  const whole = `(s."_full" AND NOT ${logged})`;
  const setOf = (column: string) => {
    const held = [whole, ...holding(column).map((index) => `s.${flag(index)}`)];
    return `${column} = CASE WHEN ${held.join(" OR ")} THEN s.${column} ELSE t.${column} END`;
  };
  const joins = passes.flatMap((pass, index) => [
    "  LEFT JOIN (",
    `    SELECT ${[id, ...pass.columns].join(", ")}`,
    "    FROM (",
    `      SELECT ${[id, ...pass.columns].map((column) => `c.${column}`).join(", ")}, row_number() OVER (PARTITION BY c.${id}) AS "_rank"`,
    `      FROM ${changes} AS c`,
    `      WHERE c."run" = ${sqlString(pass.runId)} AND c.${origin} = ${sqlString(pass.origin)}`,
    "    ) AS pass",
    `    WHERE "_rank" = 1`,
    `  ) AS ${alias(index)} ON ${alias(index)}.${id} = k.${id}`,
  ]);
  return [
    `MERGE INTO ${quoteIdentifier(currentTableName(object))} AS t`,
    "USING (",
    `  SELECT k.${id}, ${updated.map((column) => `${sourceValue(column)} AS ${column}`).join(", ")},`,
    `    f.${origin}, f.${id} IS NOT NULL AS "_full", ${passes.map((_, index) => `${applies(index)} AS ${flag(index)}`).join(", ")}`,
    `  FROM (SELECT DISTINCT c.${id} FROM ${changes} AS c WHERE c."run" IN (${runList})) AS k`,
    "  LEFT JOIN (",
    `    SELECT ${[...columns, origin].join(", ")}, "_seq"`,
    "    FROM (",
    `      SELECT ${[...columns, origin].map((column) => `c.${column}`).join(", ")}, r."seq" AS "_seq",`,
    `        row_number() OVER (PARTITION BY c.${id} ORDER BY ${order.join(", ")}) AS "_rank"`,
    `      FROM ${changes} AS c`,
    `      JOIN (VALUES ${values}) AS r ("run_id", "seq") ON c."run" = r."run_id"`,
    `      WHERE c."run" IN (${runList}) AND NOT coalesce(c.${origin} IN (${partialOrigins}), false)`,
    "    ) AS ranked",
    `    WHERE "_rank" = 1`,
    `  ) AS f ON f.${id} = k.${id}`,
    ...joins,
    ") AS s",
    `ON t.${id} = s.${id}`,
    `WHEN MATCHED AND s."_full" AND ${deletes} THEN DELETE`,
    `WHEN MATCHED AND (${[whole, ...passes.map((_, index) => `s.${flag(index)}`)].join(" OR ")}) THEN UPDATE SET ${updated.map(setOf).join(", ")}`,
    `WHEN NOT MATCHED AND s."_full" AND NOT ${deleted} THEN INSERT (${columns.join(", ")}) VALUES (${columns.map((column) => `s.${column}`).join(", ")})`,
  ].join("\n");
}
