/**
 * DuckDB values as people and JSON readers take them, the way the lake's own files write them:
 * integers and decimals as JSON numbers with every digit (BIGINT and DECIMAL never pass through a
 * double), dates `YYYY-MM-DD`, timestamps ISO-8601 UTC (`2024-04-16T19:00:00.000Z`, microseconds when
 * there are any), NaN and infinities as strings, blobs as base64, lists as arrays, structs as objects,
 * anything else (times, intervals, UUIDs) as DuckDB's text.
 */
import {
  DuckDBArrayValue,
  DuckDBBlobValue,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBListValue,
  DuckDBStructValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  type DuckDBValue,
} from "@duckdb/node-api";

/** Node 22's JSON.rawJSON: a JSON number written with exactly the digits given. */
const rawJSON = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;

function isoFromMicros(micros: bigint): string {
  const millis = micros / 1000n - (micros % 1000n < 0n ? 1n : 0n);
  const rest = Number(micros - millis * 1000n);
  const iso = new Date(Number(millis)).toISOString();
  return rest === 0 ? iso : `${iso.slice(0, -1)}${String(rest).padStart(3, "0")}Z`;
}

/** A value for `JSON.stringify`. */
export function jsonValue(value: DuckDBValue): unknown {
  if (value === null || typeof value === "boolean" || typeof value === "string") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : String(value);
  if (typeof value === "bigint") return rawJSON(value.toString());
  if (value instanceof DuckDBDecimalValue) return rawJSON(value.toString());
  if (value instanceof DuckDBTimestampValue || value instanceof DuckDBTimestampTZValue) {
    return isoFromMicros(value.micros);
  }
  if (value instanceof DuckDBDateValue) return value.toString();
  if (value instanceof DuckDBBlobValue) return Buffer.from(value.bytes).toString("base64");
  if (value instanceof DuckDBListValue || value instanceof DuckDBArrayValue)
    return value.items.map(jsonValue);
  if (value instanceof DuckDBStructValue) {
    return Object.fromEntries(Object.entries(value.entries).map(([key, entry]) => [key, jsonValue(entry)]));
  }
  return String(value);
}

/** A value as one table cell: the JSON form, strings unquoted, null as NULL. */
export function textValue(value: DuckDBValue): string {
  if (value === null) return "NULL";
  const json = jsonValue(value);
  return typeof json === "string" ? json : JSON.stringify(json);
}

/** A value for comparing with a load's text: like `jsonValue`, but integers and decimals as their digits. */
export function cellValue(value: DuckDBValue): unknown {
  if (typeof value === "bigint" || value instanceof DuckDBDecimalValue) return value.toString();
  return jsonValue(value);
}
