/**
 * The local lake's tables in a DuckDB connection, built from the bucket: a stream's change log as a
 * view over the parts its committed runs' manifests name (never a listing: a failed run's parts are
 * not in it), and its current-state table loaded from the Parquet file of a watermark. Files are
 * downloaded once into a cache folder whose paths mirror the keys (`dt=…/run=…/` give the partition
 * columns); parts of committed runs never change, so a cached part is read again as it is.
 */
import { randomBytes } from "node:crypto";
import { createWriteStream, type Dirent } from "node:fs";
import { mkdir, readdir, rename, rm, rmdir, stat, utimes } from "node:fs/promises";
import { dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import type { DuckDBConnection } from "@duckdb/node-api";
import type { CatalogStream } from "../../functions/core/catalog";
import { readStream } from "../../functions/core/catalog-store";
import {
  changeLogTableName,
  currentTableName,
  type LakeColumnType,
} from "../../functions/core/lake/athena-requests";
import { type CommitPointer, partFormat } from "../../functions/core/lake/commit-index";
import {
  type LakeColumn,
  lakeColumns,
  ORIGIN_COLUMN,
  RUN_ID_COLUMN,
} from "../../functions/core/lake/lake-names";
import { quoteIdentifier, sqlString } from "../../functions/core/lake/merge-sql";
import { idsTableName, snapshotFields } from "../../functions/core/lake/reconcile-sql";
import type { ObjectStore } from "../../functions/core/ports";
import { ConfigurationError } from "../../functions/errors";

/**
 * Downloads bucket objects into a folder, keyed by bucket and key, beside a `scratch` folder for files
 * of the moment (tables to upload, DuckDB's spill files). A kept folder is bounded by `trim`: a reused
 * part counts as used again, so what goes first is what has not been read for longest.
 */
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
    if (immutable && (await exists(path))) {
      const now = new Date();
      await utimes(path, now, now);
      return path;
    }
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

  /** A fresh path for DuckDB's spill folder (DuckDB makes it when it first spills), under scratch. */
  spillDirectory(): Promise<string> {
    return this.scratch("duckdb-spill");
  }

  /** Remove the copy of `key`, once read for good (a current-state table loaded into DuckDB). */
  async drop(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  /**
   * Bound the folder, at the end of a command: what no later command reads goes (the scratch folder,
   * downloads a crash interrupted), then the least recently used files until the rest holds at most
   * `maxBytes`, then the folders left empty. A file removed is downloaded again when next needed.
   */
  async trim(maxBytes: number): Promise<{ files: number; bytes: number }> {
    await rm(join(this.directory, "scratch"), { recursive: true, force: true });
    const files: Array<{ path: string; size: number; used: number }> = [];
    const folders: string[] = [];
    const removed = { files: 0, bytes: 0 };
    const walk = async (folder: string): Promise<void> => {
      let entries: Dirent[];
      try {
        entries = await readdir(folder, { withFileTypes: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
        throw error;
      }
      for (const entry of entries) {
        const path = join(folder, entry.name);
        if (entry.isDirectory()) {
          folders.push(path);
          await walk(path);
        } else if (entry.name.endsWith(".partial")) {
          await rm(path, { force: true });
        } else {
          const info = await stat(path);
          files.push({ path, size: info.size, used: info.mtimeMs });
        }
      }
    };
    await walk(this.directory);
    let total = files.reduce((sum, file) => sum + file.size, 0);
    for (const file of files.sort((a, b) => a.used - b.used)) {
      if (total <= maxBytes) break;
      await rm(file.path, { force: true });
      total -= file.size;
      removed.files += 1;
      removed.bytes += file.size;
    }
    // Deepest first, so a folder whose only content was empty folders goes too.
    for (const folder of folders.reverse()) {
      await rmdir(folder).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== "ENOTEMPTY" && error.code !== "EEXIST" && error.code !== "ENOENT") throw error;
      });
    }
    return removed;
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

/** The parts a committed run's manifest names, downloaded. */
async function committedParts(
  store: ObjectStore,
  cache: LakeCache,
  pointer: CommitPointer,
): Promise<string[]> {
  const bytes = await store.get(pointer.manifestKey);
  if (bytes === undefined) {
    throw new ConfigurationError(
      `${pointer.object}: the manifest ${pointer.manifestKey} of commit ${pointer.seq} (run ${pointer.runId}) is missing`,
      { object: pointer.object },
    );
  }
  const manifest = JSON.parse(new TextDecoder().decode(bytes)) as Manifest;
  const files: string[] = [];
  for (const part of manifest.parts) files.push(await cache.file(part.key, true));
  return files;
}

/** A JSON line may hold long text areas: far more than DuckDB's default 2 MB line. */
const MAX_LINE_BYTES = 256 * 1024 * 1024;

const list = (files: string[]) => `[${files.map(sqlString).join(", ")}]`;
const HIVE = "hive_partitioning = true, hive_types = {'dt': 'VARCHAR', 'run': 'VARCHAR'}";

function selectList(
  columns: LakeColumnType[],
  value: (column: LakeColumnType, index: number) => string,
): string {
  return columns
    .map(
      (column, index) =>
        `CAST(${value(column, index)} AS ${column.athenaType}) AS ${quoteIdentifier(column.name)}`,
    )
    .join(", ");
}

/** The change log's columns after the data: the run id and the origin (from a part), the partition's. */
function tail(runId: string, origin: string): string {
  return `CAST(${runId} AS VARCHAR) AS ${quoteIdentifier(RUN_ID_COLUMN)}, CAST(${origin} AS VARCHAR) AS ${quoteIdentifier(ORIGIN_COLUMN)}, "dt", "run"`;
}

/**
 * JSON-lines parts written with one catalog version (`columns`, the view's `viewColumns`): each line
 * read as text and parsed once into its fields' texts (`json_extract_string` with every path), each
 * cast to its lake type: a value that does not fit fails the statement, a key an older part lacks (a
 * field added since) is null, and so is every view column this version does not have. DuckDB parses
 * JSON numbers with a fraction as doubles, which would drop a decimal's 16th digit and beyond
 * (1234567890123456.78 → …456.8), so decimal fields are cut from the line's own text instead: a key is
 * the only place `"Field":` can appear unescaped.
 */
function jsonSelect(viewColumns: LakeColumnType[], columns: LakeColumn[], files: string[]): string {
  const index = new Map(columns.map((column, position) => [column.name, position]));
  const paths = [
    ...columns.map((column) => sqlString(`$."${column.field}"`)),
    sqlString(`$.${ORIGIN_COLUMN}`),
  ];
  const value = (viewColumn: LakeColumnType) => {
    const position = index.get(viewColumn.name);
    const column = position === undefined ? undefined : columns[position];
    if (position === undefined || column === undefined) return "NULL";
    if (!column.athenaType.startsWith("decimal")) return `v[${position + 1}]`;
    const key = column.field.replace(/[^A-Za-z0-9_]/g, (char) => `\\${char}`);
    return `nullif(regexp_extract(line, ${sqlString(`"${key}":(-?[0-9][0-9.eE+-]*)`)}, 1), '')`;
  };
  const lines = [
    `read_csv(${list(files)}, columns = {'line': 'VARCHAR'}, header = false, auto_detect = false,`,
    `delim = chr(1), quote = '', escape = '', max_line_size = ${MAX_LINE_BYTES}, ${HIVE})`,
  ].join(" ");
  return [
    `SELECT ${selectList(viewColumns, value)}, ${tail(`"run"`, `v[${columns.length + 1}]`)}`,
    `FROM (SELECT json_extract_string(line, [${paths.join(", ")}]) AS v, line, "dt", "run"`,
    `FROM ${lines} WHERE line <> '')`,
  ].join(" ");
}

/**
 * Parquet parts, whatever catalog version wrote them: their columns are the lake's names, each always
 * of one type (see carryLakeTypes), so they are read together by name; a column a part lacks is null.
 */
async function parquetSelect(
  connection: DuckDBConnection,
  columns: LakeColumnType[],
  files: string[],
): Promise<string> {
  const source = `read_parquet(${list(files)}, union_by_name = true, ${HIVE})`;
  const described = await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`);
  const present = new Set(described.getRowObjectsJS().map((row) => String(row.column_name).toLowerCase()));
  const value = (column: LakeColumnType) =>
    present.has(column.name) ? quoteIdentifier(column.name) : "NULL";
  const runId = present.has(RUN_ID_COLUMN) ? quoteIdentifier(RUN_ID_COLUMN) : `"run"`;
  const origin = present.has(ORIGIN_COLUMN) ? quoteIdentifier(ORIGIN_COLUMN) : "NULL";
  return `SELECT ${selectList(columns, value)}, ${tail(runId, origin)} FROM ${source}`;
}

/**
 * The change log's columns over several catalog versions: the newest version's, then each column an
 * older version had and the newest has not (a removed field, or a retyped field's first column), as
 * the Glue table keeps them.
 */
export function changeLogViewColumns(newest: CatalogStream, older: CatalogStream[]): LakeColumnType[] {
  const columns = new Map<string, LakeColumnType>();
  for (const stream of [newest, ...older]) {
    for (const { name, athenaType } of lakeColumns(stream)) {
      if (!columns.has(name)) columns.set(name, { name, athenaType });
    }
  }
  return [...columns.values()];
}

/**
 * `CREATE VIEW <object>_changes`: every row the given committed runs landed, with `_run_id` and the
 * partition columns `dt` and `run`, each run's parts read with the catalog version it was extracted
 * with (`stream` is the newest; older versions are read from the pointers' catalog keys).
 */
export async function createChangeLogView(
  connection: DuckDBConnection,
  store: ObjectStore,
  cache: LakeCache,
  stream: CatalogStream,
  pointers: CommitPointer[],
): Promise<void> {
  const versions = new Map<string, { stream: CatalogStream; jsonl: string[]; parquet: string[] }>();
  const newest = pointers.at(-1);
  if (newest !== undefined) versions.set(newest.catalogKey, { stream, jsonl: [], parquet: [] });
  for (const pointer of pointers) {
    let version = versions.get(pointer.catalogKey);
    if (version === undefined) {
      version = { stream: await readStream(store, pointer.catalogKey), jsonl: [], parquet: [] };
      versions.set(pointer.catalogKey, version);
    }
    for (const file of await committedParts(store, cache, pointer)) {
      version[partFormat(file)].push(file);
    }
  }
  const columns = changeLogViewColumns(
    stream,
    [...versions.values()].map((version) => version.stream),
  );
  const selects: string[] = [];
  for (const version of versions.values()) {
    if (version.jsonl.length > 0)
      selects.push(jsonSelect(columns, lakeColumns(version.stream), version.jsonl));
  }
  const parquet = [...versions.values()].flatMap((version) => version.parquet);
  if (parquet.length > 0) selects.push(await parquetSelect(connection, columns, parquet));
  if (selects.length === 0) {
    const none = selectList(columns, () => "NULL");
    const nulls = [RUN_ID_COLUMN, ORIGIN_COLUMN, "dt", "run"].map(
      (name) => `CAST(NULL AS VARCHAR) AS ${quoteIdentifier(name)}`,
    );
    selects.push(`SELECT ${none}, ${nulls.join(", ")} WHERE false`);
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

/**
 * A run's Id snapshot as the view `<object>_ids` the comparison reads (core/lake/reconcile-sql.ts): the
 * Id and cursor columns of its Parquet parts, typed as the lake types them. No part: an empty view.
 */
export async function createIdsView(
  connection: DuckDBConnection,
  stream: CatalogStream,
  files: string[],
): Promise<void> {
  const view = quoteIdentifier(idsTableName(stream.object));
  const columns = lakeColumns({ ...stream, selectFields: snapshotFields(stream) });
  const casts = columns.map(
    (column) =>
      `CAST(${quoteIdentifier(column.name)} AS ${column.athenaType}) AS ${quoteIdentifier(column.name)}`,
  );
  if (files.length === 0) {
    const nulls = columns.map(
      (column) => `CAST(NULL AS ${column.athenaType}) AS ${quoteIdentifier(column.name)}`,
    );
    await connection.run(`CREATE OR REPLACE VIEW ${view} AS SELECT ${nulls.join(", ")} WHERE false`);
    return;
  }
  const list = files.map(sqlString).join(", ");
  await connection.run(
    `CREATE OR REPLACE VIEW ${view} AS SELECT ${casts.join(", ")} FROM read_parquet([${list}])`,
  );
}
