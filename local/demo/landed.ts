/**
 * What a sync landed, read back the way a consumer would: the manifest, then the parts it names (typed
 * Parquet, read with DuckDB, or gzipped JSON lines). The demo uses it to show that the incremental sync
 * brought exactly the changes; tests and campaigns use it to read every landed record.
 *
 * Parquet records come back shaped like JSON-lines records, so both formats compare alike: keys are the
 * stream's field names (the columns are their lower-case forms), numbers and decimals as numbers,
 * dates `YYYY-MM-DD`, datetimes ISO-8601 UTC with milliseconds; `_run_id` is left out.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { readStream } from "../../functions/core/catalog-store";
import type { Manifest } from "../../functions/core/extract/manifest";
import { ORIGIN_COLUMN, RUN_ID_COLUMN } from "../../functions/core/lake/lake-names";
import { quoteIdentifier } from "../../functions/core/lake/merge-sql";
import type { ObjectStore } from "../../functions/core/ports";

const decoder = new TextDecoder();

export type LandedRecord = Record<string, unknown>;

export async function readManifest(store: ObjectStore, key: string): Promise<Manifest> {
  const bytes = await store.get(key);
  if (!bytes) throw new Error(`The manifest ${key} is missing.`);
  return JSON.parse(decoder.decode(bytes)) as Manifest;
}

/** Whether a part's key says Parquet (otherwise gzipped JSON lines). */
export function isParquetPart(key: string): boolean {
  return key.endsWith(".parquet");
}

/** The records of a gzipped JSON-lines part. */
export function jsonlRecords(bytes: Uint8Array): LandedRecord[] {
  // An empty window's part may be an empty object rather than an empty gzip stream.
  if (bytes.length === 0) return [];
  const records: LandedRecord[] = [];
  for (const line of decoder.decode(gunzipSync(bytes)).split("\n")) {
    if (line.length > 0) records.push(JSON.parse(line) as LandedRecord);
  }
  return records;
}

let duckdb: Promise<DuckDBInstance> | undefined;

/** A relation's columns (name and DuckDB type) and rows, values shaped as readParquet describes. */
export interface ReadRows {
  columns: Array<{ name: string; type: string }>;
  rows: Array<Record<string, unknown>>;
}

/**
 * Every row of a relation of `connection` (a table, a view or `read_parquet(…)`), `SELECT *`, shaped
 * like JSON-lines values: timestamps as ISO-8601 UTC with milliseconds, dates `YYYY-MM-DD`, decimals
 * and bigints as numbers (as JSON.parse reads them from JSON lines), or with `exact` as their text with
 * every digit.
 */
export async function readRows(
  connection: DuckDBConnection,
  source: string,
  exact = false,
): Promise<ReadRows> {
  const described = await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`);
  const columns = described
    .getRowObjectsJS()
    .map((row) => ({ name: String(row.column_name), type: String(row.column_type) }));
  const select = columns.map(({ name, type }) => {
    const column = quoteIdentifier(name);
    if (type.startsWith("TIMESTAMP")) return `epoch_ms(${column}) AS ${column}`;
    if (type === "DATE" || type.startsWith("DECIMAL") || type === "BIGINT") {
      return `CAST(${column} AS VARCHAR) AS ${column}`;
    }
    return column;
  });
  const result = await connection.runAndReadAll(`SELECT ${select.join(", ")} FROM ${source}`);
  const rows = result.getRowObjectsJS().map((row) => {
    const out: Record<string, unknown> = {};
    for (const { name, type } of columns) {
      const value = row[name];
      if (value === null || value === undefined) out[name] = null;
      else if (type.startsWith("TIMESTAMP")) out[name] = new Date(Number(value)).toISOString();
      else if (type.startsWith("DECIMAL") || type === "BIGINT") out[name] = exact ? value : Number(value);
      else out[name] = value;
    }
    return out;
  });
  return { columns, rows };
}

/**
 * A Parquet part's columns (name and DuckDB type) and rows, read with DuckDB (see readRows): decimals
 * and bigints as numbers, or with `exact` as their text with every digit.
 */
export async function readParquet(bytes: Uint8Array, exact = false): Promise<ReadRows> {
  duckdb ??= DuckDBInstance.create(":memory:");
  const folder = await mkdtemp(join(tmpdir(), "saddledata-part-"));
  const file = join(folder, "part.parquet");
  const connection = await (await duckdb).connect();
  try {
    await writeFile(file, bytes);
    return await readRows(connection, `read_parquet('${file.replaceAll("'", "''")}')`, exact);
  } finally {
    connection.closeSync();
    await rm(folder, { recursive: true, force: true });
  }
}

/**
 * Rows of lake columns as records keyed by `fields` (the stream's field names, matched to the
 * lower-case columns; without them the columns' names), `_run_id` left out.
 */
export function fieldRecords(rows: Array<Record<string, unknown>>, fields: string[] = []): LandedRecord[] {
  const byColumn = new Map(fields.map((field) => [field.toLowerCase(), field]));
  return rows.map((row) => {
    const record: LandedRecord = {};
    for (const [name, value] of Object.entries(row)) {
      if (name !== RUN_ID_COLUMN) record[byColumn.get(name) ?? name] = value;
    }
    return record;
  });
}

/**
 * The rows of the run's query, without the rows found otherwise (the delete log's, `_origin` set): what
 * a run's `records` count.
 */
export function queryRows(records: LandedRecord[]): LandedRecord[] {
  return records.filter((record) => record[ORIGIN_COLUMN] === undefined || record[ORIGIN_COLUMN] === null);
}

/** The records of a Parquet part, keyed by `fields` (see fieldRecords). */
export async function parquetRecords(bytes: Uint8Array, fields: string[] = []): Promise<LandedRecord[]> {
  return fieldRecords((await readParquet(bytes)).rows, fields);
}

/** The stream's field names a manifest's parts hold (from the catalog version it names). */
export async function manifestFields(store: ObjectStore, manifest: Manifest): Promise<string[]> {
  return (await readStream(store, manifest.catalogKey)).selectFields;
}

/** The records of one part of a manifest, whatever its format. */
export async function partRecords(
  store: ObjectStore,
  manifest: Manifest,
  bytes: Uint8Array,
  key: string,
  fields?: string[],
): Promise<LandedRecord[]> {
  if (!isParquetPart(key)) return jsonlRecords(bytes);
  return parquetRecords(bytes, fields ?? (await manifestFields(store, manifest)));
}

export async function readLandedRecords(store: ObjectStore, manifest: Manifest): Promise<LandedRecord[]> {
  const records: LandedRecord[] = [];
  const fields = manifest.parts.some((part) => isParquetPart(part.key))
    ? await manifestFields(store, manifest)
    : [];
  for (const part of manifest.parts) {
    const bytes = await store.get(part.key);
    if (!bytes) throw new Error(`The part ${part.key} named by ${manifest.object}'s manifest is missing.`);
    if (bytes.length === 0 && part.records === 0) continue;
    records.push(...(await partRecords(store, manifest, bytes, part.key, fields)));
  }
  return records;
}
