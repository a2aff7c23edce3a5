/**
 * The demo checks itself: the incremental sync must have landed exactly the records it changed (the
 * delete flagged), and the sample file's deliberate bad row must be the one in `failed.csv`, with
 * Salesforce's error. Anything else means something did not behave as designed.
 */
import type { ObjectStore } from "../../functions/core/ports";
import type { SyncReport } from "../cli/sync-run";
import { changedIds, type DemoChanges } from "./changes";
import { queryRows, readLandedRecords, readManifest } from "./landed";

export interface DemoCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface LandedChanges {
  object: string;
  records: number;
  inserted: number;
  updated: number;
  deleted: number;
  /** Deleted rows that arrived with IsDeleted = true. */
  deletesFlagged: number;
  /** Rows that arrived but were not changed by the demo. */
  unexpected: string[];
  /** Changed rows that did not arrive. */
  missing: string[];
}

export async function landedChanges(
  store: ObjectStore,
  report: SyncReport,
  changes: DemoChanges,
): Promise<LandedChanges[]> {
  const out: LandedChanges[] = [];
  for (const object of report.objects) {
    const expected = changes[object.object] ?? { inserted: [], updated: [], deleted: [] };
    // The query's rows: a delete the org's log reported again (its `_origin` row) is not a change.
    const records = object.manifestKey
      ? queryRows(await readLandedRecords(store, await readManifest(store, object.manifestKey)))
      : [];
    const ids = new Set(records.map((record) => String(record.Id)));
    const wanted = new Set(changedIds(expected));
    const deleted = new Set(expected.deleted);
    out.push({
      object: object.object,
      records: records.length,
      inserted: expected.inserted.filter((id) => ids.has(id)).length,
      updated: expected.updated.filter((id) => ids.has(id)).length,
      deleted: expected.deleted.filter((id) => ids.has(id)).length,
      deletesFlagged: records.filter((record) => deleted.has(String(record.Id)) && record.IsDeleted === true)
        .length,
      unexpected: [...ids].filter((id) => !wanted.has(id)),
      missing: [...wanted].filter((id) => !ids.has(id)),
    });
  }
  return out;
}

export function checkIncremental(landed: LandedChanges[], changes: DemoChanges): DemoCheck {
  const problems: string[] = [];
  for (const object of landed) {
    if (object.unexpected.length > 0)
      problems.push(`${object.object} brought ${object.unexpected.length} unchanged rows`);
    if (object.missing.length > 0)
      problems.push(`${object.object} missed ${object.missing.length} changed rows`);
    const deletes = changes[object.object]?.deleted.length ?? 0;
    if (object.deletesFlagged !== deletes)
      problems.push(`${object.object}: ${deletes - object.deletesFlagged} deletes not flagged`);
  }
  for (const object of Object.keys(changes)) {
    if (!landed.some((entry) => entry.object === object)) problems.push(`${object} was not synced`);
  }
  const total = landed.reduce((sum, object) => sum + object.records, 0);
  return problems.length === 0
    ? {
        name: "incremental sync",
        ok: true,
        detail: `exactly the ${total} changed records, deletes flagged IsDeleted`,
      }
    : { name: "incremental sync", ok: false, detail: problems.join("; ") };
}

/** Rows of a small CSV result file (RFC 4180 quoting), header first. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (quoted) {
      if (char === '"' && text[index + 1] === '"') {
        field += '"';
        index += 1;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ",") {
      row.push(field);
      field = "";
    } else if (char === "\n" || char === "\r") {
      if (char === "\r" && text[index + 1] === "\n") index += 1;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else field += char;
  }
  if (field !== "" || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

export interface FailedRow {
  values: Record<string, string>;
  /** `sf__Error` as people read it: `CODE: message`. */
  error: string;
}

/** Salesforce's `sf__Error` form, `CODE:message:fields --`, as `CODE: message`. */
export function readableSfError(text: string): string {
  const match = /^([A-Z_]+):(.*?)(?::[^:]*)? --$/s.exec(text.trim());
  return match ? `${match[1]}: ${match[2]}` : text;
}

/** The rows of `failed.csv`, each with its `sf__Error`. */
export async function readFailedRows(store: ObjectStore, key: string): Promise<FailedRow[]> {
  const bytes = await store.get(key);
  if (!bytes) return [];
  const [header = [], ...rows] = parseCsv(new TextDecoder().decode(bytes));
  return rows
    .filter((row) => row.some((cell) => cell !== ""))
    .map((row) => {
      const values = Object.fromEntries(header.map((name, index) => [name, row[index] ?? ""]));
      return { values, error: readableSfError(values.sf__Error ?? "") };
    });
}
