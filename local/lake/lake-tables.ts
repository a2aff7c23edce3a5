/**
 * The local lake's tables in a DuckDB connection, built from the bucket: a stream's change log as a
 * view over the parts its committed runs' manifests name (never a listing: a failed run's parts are
 * not in it), and its current-state table loaded from the Parquet file of a watermark. Files are
 * downloaded once into a cache folder whose paths mirror the keys (`dt=…/run=…/` give the partition
 * columns); parts of committed runs never change, so a cached part is read again as it is.
 */
import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import type { DuckDBConnection } from "@duckdb/node-api";
import type { CatalogStream } from "../../functions/core/catalog";
import { changeLogTableName, currentTableName } from "../../functions/core/lake/athena-requests";
import { type CommitPointer, partFormat } from "../../functions/core/lake/commit-index";
import { type LakeColumn, lakeColumns, RUN_ID_COLUMN } from "../../functions/core/lake/lake-names";
import { quoteIdentifier, sqlString } from "../../functions/core/lake/merge-sql";
import type { ObjectStore } from "../../functions/core/ports";
import { ConfigurationError } from "../../functions/errors";

/** Downloads bucket objects into a folder, keyed by bucket and key. */
export class LakeCache {
  constructor(
    private readonly store: ObjectStore,
    readonly directory: string,
  ) {}

  private pathOf(key: string): string {
    return join(this.directory, this.store.bucket, ...key.split("/"));
  }

  /**
   * The local path of `key`. `immutable`: reuse a copy already there (committed parts); otherwise the
   * object is downloaded every time (a current-state table can be written again).
   */
  async file(key: string, immutable: boolean): Promise<string> {
    const path = this.pathOf(key);
    if (immutable && (await exists(path))) return path;
    await mkdir(dirname(path), { recursive: true });
    const partial = `${path}.${randomBytes(4).toString("hex")}.partial`;
    try {
      const { body } = await this.store.stream(key);
      await pipeline(body, createWriteStream(partial));
      await rename(partial, path);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    return path;
  }

  /** A fresh path for a file to write (then upload), under the cache folder. */
  async scratch(name: string): Promise<string> {
    const folder = join(this.directory, "scratch");
    await mkdir(folder, { recursive: true });
    return join(folder, `${randomBytes(6).toString("hex")}-${name}`);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

interface Manifest {
  parts: Array<{ key: string }>;
}

/** The parts the committed runs' manifests name, downloaded. */
async function committedParts(
  store: ObjectStore,
  cache: LakeCache,
  pointers: CommitPointer[],
): Promise<string[]> {
  const files: string[] = [];
  for (const pointer of pointers) {
    const bytes = await store.get(pointer.manifestKey);
    if (bytes === undefined) {
      throw new ConfigurationError(
        `${pointer.object}: the manifest ${pointer.manifestKey} of commit ${pointer.seq} (run ${pointer.runId}) is missing`,
        { object: pointer.object },
      );
    }
    const manifest = JSON.parse(new TextDecoder().decode(bytes)) as Manifest;
    for (const part of manifest.parts) files.push(await cache.file(part.key, true));
  }
  return files;
}

/** A JSON line may hold long text areas: far more than DuckDB's default 2 MB line. */
const MAX_LINE_BYTES = 256 * 1024 * 1024;

const list = (files: string[]) => `[${files.map(sqlString).join(", ")}]`;
const HIVE = "hive_partitioning = true, hive_types = {'dt': 'VARCHAR', 'run': 'VARCHAR'}";

function selectList(columns: LakeColumn[], value: (column: LakeColumn, index: number) => string): string {
  return columns
    .map(
      (column, index) =>
        `CAST(${value(column, index)} AS ${column.athenaType}) AS ${quoteIdentifier(column.name)}`,
    )
    .join(", ");
}

const TAIL = `${quoteIdentifier(RUN_ID_COLUMN)}, "dt", "run"`;

/**
 * JSON-lines parts: each line read as text and parsed once into its fields' texts
 * (`json_extract_string` with every path), each cast to its lake type: a value that does not fit fails
 * the statement, a key an older part lacks (a field added since) is null. DuckDB parses JSON numbers
 * with a fraction as doubles, which would drop a decimal's 16th digit and beyond
 * (1234567890123456.78 → …456.8), so decimal fields are cut from the line's own text instead: a key is
 * the only place `"Field":` can appear unescaped.
 */
function jsonSelect(columns: LakeColumn[], files: string[]): string {
  const isDecimal = (column: LakeColumn) => column.athenaType.startsWith("decimal");
  const paths = columns.map((column) => sqlString(`$."${column.field}"`));
  const value = (column: LakeColumn, index: number) => {
    if (!isDecimal(column)) return `v[${index + 1}]`;
    const key = column.field.replace(/[^A-Za-z0-9_]/g, (char) => `\\${char}`);
    return `nullif(regexp_extract(line, ${sqlString(`"${key}":(-?[0-9][0-9.eE+-]*)`)}, 1), '')`;
  };
  const lines = [
    `read_csv(${list(files)}, columns = {'line': 'VARCHAR'}, header = false, auto_detect = false,`,
    `delim = chr(1), quote = '', escape = '', max_line_size = ${MAX_LINE_BYTES}, ${HIVE})`,
  ].join(" ");
  return [
    `SELECT ${selectList(columns, value)}, "run" AS ${TAIL}`,
    `FROM (SELECT json_extract_string(line, [${paths.join(", ")}]) AS v, line, "dt", "run"`,
    `FROM ${lines} WHERE line <> '')`,
  ].join(" ");
}

/** Parquet parts: lower-case columns (a column of a field added since is null in older parts). */
async function parquetSelect(
  connection: DuckDBConnection,
  columns: LakeColumn[],
  files: string[],
): Promise<string> {
  const source = `read_parquet(${list(files)}, union_by_name = true, ${HIVE})`;
  const described = await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`);
  const present = new Set(described.getRowObjectsJS().map((row) => String(row.column_name).toLowerCase()));
  const value = (column: LakeColumn) => (present.has(column.name) ? quoteIdentifier(column.name) : "NULL");
  const runId = present.has(RUN_ID_COLUMN) ? quoteIdentifier(RUN_ID_COLUMN) : `"run"`;
  return `SELECT ${selectList(columns, value)}, CAST(${runId} AS VARCHAR) AS ${TAIL} FROM ${source}`;
}

/**
 * `CREATE VIEW <object>_changes`: every row the given committed runs landed, with `_run_id` and the
 * partition columns `dt` and `run`, typed by the stream's catalog.
 */
export async function createChangeLogView(
  connection: DuckDBConnection,
  store: ObjectStore,
  cache: LakeCache,
  stream: CatalogStream,
  pointers: CommitPointer[],
): Promise<void> {
  const columns = lakeColumns(stream);
  const files = await committedParts(store, cache, pointers);
  const json = files.filter((file) => partFormat(file) === "jsonl");
  const parquet = files.filter((file) => partFormat(file) === "parquet");
  const selects: string[] = [];
  if (json.length > 0) selects.push(jsonSelect(columns, json));
  if (parquet.length > 0) selects.push(await parquetSelect(connection, columns, parquet));
  if (selects.length === 0) {
    const none = selectList(columns, () => "NULL");
    selects.push(`SELECT ${none}, CAST(NULL AS VARCHAR) AS ${TAIL} WHERE false`);
  }
  await connection.run(
    `CREATE OR REPLACE VIEW ${quoteIdentifier(changeLogTableName(stream.object))} AS ${selects.join(" UNION ALL ")}`,
  );
}

/**
 * `CREATE TABLE <object>`: the current state from its Parquet file (absent: empty), with a column
 * added for every field the table does not have yet (a removed field keeps its column).
 */
export async function loadCurrentTable(
  connection: DuckDBConnection,
  cache: LakeCache,
  stream: CatalogStream,
  key: string | undefined,
): Promise<void> {
  const table = quoteIdentifier(currentTableName(stream.object));
  const columns = lakeColumns(stream);
  if (key === undefined) {
    const definitions = columns.map((column) => `${quoteIdentifier(column.name)} ${column.athenaType}`);
    await connection.run(`CREATE OR REPLACE TABLE ${table} (${definitions.join(", ")})`);
    return;
  }
  const file = await cache.file(key, false);
  await connection.run(`CREATE OR REPLACE TABLE ${table} AS SELECT * FROM read_parquet(${sqlString(file)})`);
  const described = await connection.runAndReadAll(`DESCRIBE ${table}`);
  const present = new Set(described.getRowObjectsJS().map((row) => String(row.column_name)));
  for (const column of columns.filter((candidate) => !present.has(candidate.name))) {
    await connection.run(
      `ALTER TABLE ${table} ADD COLUMN ${quoteIdentifier(column.name)} ${column.athenaType}`,
    );
  }
}
