import { DataError } from "../errors";
import type { JsonlColumn } from "./bulk-csv-to-jsonl";
import { normalizeDateTime } from "./datetime-text";

const INTEGER_TYPES = new Set(["int", "long"]);
const NUMBER_TYPES = new Set(["double", "currency", "percent"]);

function typed(value: unknown, column: JsonlColumn): unknown {
  if (value === null || value === undefined) return null;
  const type = column.sfType;
  if (type === "datetime" && typeof value === "string") {
    const normalized = normalizeDateTime(value);
    if (!normalized.ok)
      throw new DataError(`${column.name}: ${JSON.stringify(value)} is not a datetime`, {
        column: column.name,
      });
    return normalized.value;
  }
  if (INTEGER_TYPES.has(type) || NUMBER_TYPES.has(type)) {
    const number = typeof value === "number" ? value : Number(value);
    if (!Number.isFinite(number) || (INTEGER_TYPES.has(type) && !Number.isInteger(number))) {
      throw new DataError(`${column.name}: ${JSON.stringify(value)} is not a ${type}`, {
        column: column.name,
      });
    }
    return number;
  }
  if (type === "boolean") {
    if (typeof value === "boolean") return value;
    throw new DataError(`${column.name}: ${JSON.stringify(value)} is not a boolean`, { column: column.name });
  }
  // Compound address / location values stay objects; everything else is text.
  if (typeof value === "object") return value;
  return typeof value === "string" ? (value === "" ? null : value) : String(value);
}

/**
 * One REST query record as one JSON line (no newline): `attributes` dropped, keys in column order
 * (a missing key is null), values typed like the Bulk path so both APIs land the same shapes.
 */
export function restRecordToJson(record: Record<string, unknown>, columns: JsonlColumn[]): string {
  const out: Record<string, unknown> = {};
  for (const column of columns) out[column.name] = typed(record[column.name], column);
  return JSON.stringify(out);
}
