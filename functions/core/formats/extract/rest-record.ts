/**
 * REST query records → one JSON line each, typed the same way as the Bulk converter so a stream reads
 * alike whichever API extracted it: `attributes` dropped, keys in column order (missing → null),
 * datetimes `…+0000` → `…Z`, compound address/location values kept as objects.
 */
import type { BadValueError } from "../../../errors";
import { isValidDateText, normalizeDateTime } from "../datetime-text";
import { parseDecimal, toIntegerText, toJsonNumberText } from "../decimal-text";
import { badValue } from "./bad-value";
import type { JsonlColumn } from "./bulk-csv-to-jsonl";
import type { LakeBatch } from "./lake-batch";

const INTEGER_TYPES = new Set(["int", "long"]);
const NUMBER_TYPES = new Set(["double", "currency", "percent"]);

/** Pre-encoded `{"Name":` / `,"Name":` prefixes, per columns array (callers reuse one array per stream). */
const prefixCache = new WeakMap<JsonlColumn[], string[]>();

function prefixesOf(columns: JsonlColumn[]): string[] {
  let prefixes = prefixCache.get(columns);
  if (prefixes === undefined) {
    prefixes = columns.map((c, i) => `${i === 0 ? "{" : ","}${JSON.stringify(c.name)}:`);
    prefixCache.set(columns, prefixes);
  }
  return prefixes;
}

/** One JSON line (no newline) for a REST record. Throws DataError for a value its type cannot hold. */
export function restRecordToJson(record: Record<string, unknown>, columns: JsonlColumn[]): string {
  const prefixes = prefixesOf(columns);
  let line = "";
  for (let c = 0; c < columns.length; c++) {
    const column = columns[c] as JsonlColumn;
    line += prefixes[c];
    line += jsonValue(lookup(record, column.name), column, record);
  }
  return columns.length === 0 ? "{}" : `${line}}`;
}

const encoder = new TextEncoder();
let scratch = new Uint8Array(1 << 12);

/**
 * A REST record as one row of a Parquet row group: each column's value as the text Bulk would give
 * (numbers and booleans as written, objects as JSON), checked by the same column rules as Bulk's.
 * Throws DataError naming the object, field and record for a value its type cannot hold.
 */
export function restRecordToBatch(record: Record<string, unknown>, batch: LakeBatch, object: string): void {
  const columns = batch.columns;
  for (let c = 0; c < columns.length; c++) {
    const column = columns[c] as (typeof columns)[number];
    const value = lookup(record, column.lake.field);
    if (value === null || value === undefined) {
      column.pushNull();
      continue;
    }
    const text =
      typeof value === "string"
        ? value
        : typeof value === "object"
          ? JSON.stringify(withoutAttributes(value))
          : String(value);
    if (scratch.length < text.length * 3) scratch = new Uint8Array(text.length * 3);
    const { written } = encoder.encodeInto(text, scratch);
    const problem = column.push(scratch, 0, written, false);
    if (problem !== undefined) {
      const { field, sfType, athenaType } = column.lake;
      throw badValue(
        { object, where: REST_PLACE, record: idOf(record), field, type: `${sfType} → ${athenaType}` },
        problem,
      );
    }
  }
  batch.endRow();
}

/** A column's value: a plain key, or a relationship path (`Owner.Name`) through nested records. */
function lookup(record: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(record, name)) return record[name];
  if (!name.includes(".")) return undefined;
  let value: unknown = record;
  for (const part of name.split(".")) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function jsonValue(value: unknown, column: JsonlColumn, record: Record<string, unknown>): string {
  if (value === null || value === undefined) return "null";
  if (column.hash !== undefined) {
    // Hashed (settings hashFields): the value's text as Bulk would give it; empty is null, as in Bulk.
    const text =
      typeof value === "string"
        ? value
        : typeof value === "object"
          ? JSON.stringify(withoutAttributes(value))
          : String(value);
    return text === "" ? "null" : `"${column.hash(text)}"`;
  }
  const type = column.sfType;
  if (typeof value === "object") return JSON.stringify(withoutAttributes(value));
  if (type === "boolean") {
    if (value === true || value === "true") return "true";
    if (value === false || value === "false") return "false";
    throw invalid(record, column, value, "is not true or false");
  }
  if (INTEGER_TYPES.has(type)) {
    const parts = parseDecimal(String(value));
    const integer = parts === undefined ? undefined : toIntegerText(parts);
    if (integer === undefined || (typeof value !== "number" && typeof value !== "string")) {
      throw invalid(record, column, value, "is not an integer");
    }
    return integer;
  }
  if (NUMBER_TYPES.has(type)) {
    const text =
      typeof value === "number"
        ? Number.isFinite(value)
          ? String(value)
          : undefined
        : typeof value === "string"
          ? toJsonNumberText(value)
          : undefined;
    if (text === undefined) throw invalid(record, column, value, "is not a number");
    return text;
  }
  if (type === "datetime") {
    const result = typeof value === "string" ? normalizeDateTime(value) : undefined;
    if (result === undefined || !result.ok) {
      throw invalid(record, column, value, "is not a datetime (expected 2011-07-07T00:37:00.000+0000)");
    }
    return `"${result.value}"`;
  }
  if (type === "date") {
    if (typeof value !== "string" || !isValidDateText(value)) {
      throw invalid(record, column, value, "is not a date (expected YYYY-MM-DD)");
    }
    return `"${value}"`;
  }
  // Text types (and types without a rule): strings, with other scalars as their text like Bulk gives;
  // an empty string is null, as Bulk cannot tell them apart.
  if (value === "") return "null";
  return JSON.stringify(typeof value === "string" ? value : String(value));
}

function withoutAttributes(value: object): unknown {
  if (Array.isArray(value) || !Object.hasOwn(value, "attributes")) return value;
  const { attributes: _attributes, ...rest } = value as Record<string, unknown>;
  return rest;
}

/** Where a REST record is, for messages. */
const REST_PLACE = "REST query result";

function idOf(record: Record<string, unknown>): string | undefined {
  return typeof record.Id === "string" ? record.Id : undefined;
}

function invalid(
  record: Record<string, unknown>,
  column: JsonlColumn,
  value: unknown,
  what: string,
): BadValueError {
  const shown =
    typeof value === "string"
      ? `'${value.slice(0, 64)}${value.length > 64 ? "…" : ""}'`
      : JSON.stringify(value).slice(0, 64);
  return badValue(
    { object: "", where: REST_PLACE, record: idOf(record), field: column.name, type: column.sfType },
    `${shown} ${what}`,
  );
}
