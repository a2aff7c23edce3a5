/**
 * What a sync left in S3 for one object, read the way a consumer reads it (manifests, not listings),
 * with every integrity problem noted instead of thrown: a part that does not gunzip or holds a line
 * that is not JSON, a part count that differs from its manifest, a record twice in one run, and any
 * part in the bucket (named by a manifest or not) that is corrupt.
 */
import { gunzipSync } from "node:zlib";
import type { Manifest } from "../../functions/core/extract/manifest";
import type { CommitPointer } from "../../functions/core/lake/commit-index";
import type { ObjectStore } from "../../functions/core/ports";
import { isParquetPart, manifestFields, parquetRecords } from "../../local/demo/landed";

export type LandedRecord = Record<string, unknown>;

export interface LandedRun {
  manifestKey: string;
  manifest: Manifest;
  /** The run's records by Id: its query's rows. */
  records: Map<string, LandedRecord>;
  /** The deletes the org's delete log reported (rows with `_origin` `getDeleted`), by Id. */
  logged: Map<string, LandedRecord>;
  /** Rows found otherwise (Id reconciliation's deletes and re-fetches, partial reads), by origin then Id. */
  found: Map<string, Map<string, LandedRecord>>;
}

export interface Landed {
  /** Committed runs in commit order. */
  runs: LandedRun[];
  /** Parts in the bucket, named by a manifest or not. */
  partKeys: string[];
  /** The commit index (`_commits/<seq>.json`) by commit number, pointers above the stream's sequence included. */
  commits: Map<number, CommitPointer>;
  problems: string[];
}

const decoder = new TextDecoder();

/** The JSON lines of a gzipped part, or why they cannot be read. */
export function parsePart(bytes: Uint8Array): { records: LandedRecord[] } | { problem: string } {
  let text: string;
  try {
    text = decoder.decode(gunzipSync(bytes));
  } catch (error) {
    return { problem: `does not gunzip (${(error as Error).message})` };
  }
  if (text !== "" && !text.endsWith("\n")) return { problem: "does not end with a line feed (truncated)" };
  const records: LandedRecord[] = [];
  const lines = text === "" ? [] : text.slice(0, -1).split("\n");
  for (const [index, line] of lines.entries()) {
    try {
      const value = JSON.parse(line) as unknown;
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        return { problem: `line ${index + 1} is not a JSON object` };
      }
      records.push(value as LandedRecord);
    } catch {
      return { problem: `line ${index + 1} is not JSON: ${line.slice(0, 80)}` };
    }
  }
  return { records };
}

/** A part's records, Parquet (read with DuckDB, keyed by `fields`) or gzipped JSON lines, or why not. */
export async function parseAnyPart(
  key: string,
  bytes: Uint8Array,
  fields: string[] = [],
): Promise<{ records: LandedRecord[] } | { problem: string }> {
  if (!isParquetPart(key)) return parsePart(bytes);
  try {
    return { records: await parquetRecords(bytes, fields) };
  } catch (error) {
    return { problem: `is not a readable Parquet file (${(error as Error).message.split("\n")[0]})` };
  }
}

export async function readLanded(store: ObjectStore, prefix: string, object: string): Promise<Landed> {
  const landed: Landed = { runs: [], partKeys: [], commits: new Map(), problems: [] };
  const manifestKeys: string[] = [];
  for await (const info of store.list(`${prefix}data/${object}/`)) {
    if (info.key.endsWith("/_manifest.json")) manifestKeys.push(info.key);
    else if (info.key.endsWith(".jsonl.gz") || isParquetPart(info.key)) landed.partKeys.push(info.key);
    else if (/\/_commits\/\d+\.json$/.test(info.key)) {
      try {
        const pointer = JSON.parse(decoder.decode(await store.get(info.key))) as CommitPointer;
        landed.commits.set(pointer.seq, pointer);
      } catch {
        landed.problems.push(`${info.key} is not JSON`);
      }
    } else landed.problems.push(`unexpected object ${info.key} under data/`);
  }
  const named = new Set<string>();
  for (const manifestKey of manifestKeys) {
    const bytes = await store.get(manifestKey);
    let manifest: Manifest;
    try {
      manifest = JSON.parse(decoder.decode(bytes)) as Manifest;
    } catch {
      landed.problems.push(`${manifestKey} is not JSON`);
      continue;
    }
    const run: LandedRun = { manifestKey, manifest, records: new Map(), logged: new Map(), found: new Map() };
    let total = 0;
    let fields: string[] = [];
    if (manifest.parts.some((part) => isParquetPart(part.key))) {
      try {
        fields = await manifestFields(store, manifest);
      } catch (error) {
        landed.problems.push(
          `${manifestKey}: its catalog ${manifest.catalogKey} cannot be read (${String(error)})`,
        );
      }
    }
    for (const part of manifest.parts) {
      named.add(part.key);
      const partBytes = await store.get(part.key);
      if (partBytes === undefined) {
        landed.problems.push(`${manifestKey} names ${part.key}, which does not exist`);
        continue;
      }
      const parsed = await parseAnyPart(part.key, partBytes, fields);
      if ("problem" in parsed) {
        landed.problems.push(
          `${part.key} ${parsed.problem} (${partBytes.length} bytes; the manifest says ${part.bytes} bytes, ${part.records} records)`,
        );
        continue;
      }
      if (partBytes.length !== part.bytes) {
        landed.problems.push(`${part.key} holds ${partBytes.length} bytes, its manifest says ${part.bytes}`);
      }
      if (parsed.records.length !== part.records) {
        landed.problems.push(
          `${part.key} holds ${parsed.records.length} records, its manifest says ${part.records}`,
        );
      }
      total += parsed.records.length;
      for (const record of parsed.records) {
        const id = String(record.Id);
        const origin =
          record._origin === undefined || record._origin === null ? undefined : String(record._origin);
        let rows =
          origin === undefined ? run.records : origin === "getDeleted" ? run.logged : run.found.get(origin);
        if (rows === undefined) {
          rows = new Map();
          run.found.set(origin as string, rows);
        }
        if (rows.has(id)) landed.problems.push(`${manifestKey}: record ${id} landed twice in one run`);
        rows.set(id, record);
      }
    }
    if (total !== manifest.totals.records || manifest.parts.length !== manifest.totals.parts) {
      landed.problems.push(
        `${manifestKey}: totals say ${manifest.totals.records} records in ${manifest.totals.parts} parts, the parts hold ${total} in ${manifest.parts.length}`,
      );
    }
    landed.runs.push(run);
  }
  // Parts of failed attempts are not named by any manifest; they must still be whole.
  for (const key of landed.partKeys) {
    if (named.has(key)) continue;
    const bytes = await store.get(key);
    const parsed = bytes === undefined ? { problem: "vanished" } : await parseAnyPart(key, bytes);
    if ("problem" in parsed) landed.problems.push(`${key} (named by no manifest) ${parsed.problem}`);
  }
  landed.runs.sort((a, b) => a.manifest.committedAt.localeCompare(b.manifest.committedAt));
  return landed;
}

/**
 * Each record's newest landed version: the greatest cursor-field value, and of equal values the one
 * committed last (what a consumer that deduplicates by Id keeps), with the fields of every partial row
 * (formula refresh, new-field backfill) read since laid over it, as the lake's merge does.
 */
export function latestVersions(landed: Landed, cursorField: string): Map<string, LandedRecord> {
  const latest = new Map<string, LandedRecord>();
  for (const run of landed.runs) {
    for (const [id, record] of run.records) {
      const current = latest.get(id);
      if (current === undefined || String(record[cursorField]) >= String(current[cursorField])) {
        latest.set(id, record);
      }
    }
    // A run's partial reads come after its query.
    for (const origin of ["formula", "backfill"]) {
      for (const [id, partial] of run.found.get(origin) ?? []) {
        const current = latest.get(id);
        if (current === undefined) continue;
        // Their cursor column holds the read time, not a version's stamp.
        const { _origin, [cursorField]: _readAt, ...fields } = partial;
        latest.set(id, { ...current, ...fields });
      }
    }
  }
  return latest;
}
