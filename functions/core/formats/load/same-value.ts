/**
 * Whether a load would change a field: the file's value, as the load sends it (`toSalesforceText`: a
 * decimal in plain digits, a datetime in UTC `YYYY-MM-DDTHH:mm:ss.SSSZ`, booleans `true`/`false`, null
 * for "set to null"), against the record's current value as the lake or the org gives it (Athena's
 * text, DuckDB's JS values, REST JSON). Compared by the field's Salesforce type, never as raw text:
 *
 * - numbers by value (`1.0` = `1` = `1e0`; `1.6147805824397E13` = 16147805824397), exactly, through their
 *   decimal digits, not floats;
 * - datetimes by instant, whatever the offset or spelling (`+0000`, `+02:00`, ` UTC`, a Date);
 * - multi-select picklists as sets (`a;b` = `b;a`);
 * - Ids and references by the record they name (a 15-character Id equals its 18-character form);
 * - text exactly; null, `""` and Bulk's `#N/A` all mean null (Salesforce keeps no empty text).
 *
 * A current value the type cannot read is never "the same": the row is sent.
 */
import type { CatalogField } from "../../catalog";
import { normalizeDateTime, normalizeTime } from "../datetime-text";
import { type DecimalParts, parseDecimal } from "../decimal-text";

/** The fields `sameValue` needs. */
export type ComparedField = Pick<CatalogField, "name" | "sfType">;

/** Text the lake or the org writes for null. */
function isNullish(value: unknown): boolean {
  return value === null || value === undefined || value === "" || value === "#N/A";
}

const NUMBER_TYPES = new Set(["int", "long", "double", "currency", "percent"]);
const ID_TYPES = new Set(["id", "reference"]);
const ID_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";

/** The 18-character form of a Salesforce Id (its 15 characters and the case checksum), or undefined. */
export function id18(value: string): string | undefined {
  if (!/^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/.test(value)) return undefined;
  const base = value.slice(0, 15);
  let suffix = "";
  for (let block = 0; block < 3; block++) {
    let bits = 0;
    for (let k = 0; k < 5; k++) {
      const c = base.charCodeAt(block * 5 + k);
      if (c >= 0x41 && c <= 0x5a) bits |= 1 << k;
    }
    suffix += ID_SUFFIX[bits];
  }
  // An 18-character Id's suffix says the same (case-insensitively) when it is well formed.
  if (value.length === 18 && value.slice(15).toUpperCase() !== suffix) return undefined;
  return base + suffix;
}

function numberParts(value: unknown): DecimalParts | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? parseDecimal(String(value)) : undefined;
  if (typeof value === "bigint") return parseDecimal(value.toString());
  if (typeof value === "string") return parseDecimal(value.trim());
  return undefined;
}

function sameNumber(left: DecimalParts, right: DecimalParts): boolean {
  // parseDecimal strips leading and trailing zeros, so equal values have equal parts (zero has no sign).
  return left.digits === right.digits && left.exponent === right.exponent && left.negative === right.negative;
}

/** An instant as canonical UTC text: from text in any offset or spelling, a Date, or epoch ms. */
function instant(value: unknown): string | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.toISOString();
  if (typeof value === "number") return Number.isFinite(value) ? new Date(value).toISOString() : undefined;
  if (typeof value !== "string") return undefined;
  // Athena prints `2024-04-16 19:00:00.000 UTC`; REST `…+0000`; DuckDB `…+00`.
  const text = value.trim().replace(/\s?UTC$/, "Z");
  const normalized = normalizeDateTime(text);
  return normalized.ok ? normalized.value : undefined;
}

function day(value: unknown): string | undefined {
  if (value instanceof Date)
    return Number.isNaN(value.getTime()) ? undefined : value.toISOString().slice(0, 10);
  if (typeof value !== "string") return undefined;
  const match = /^(\d{4}-\d{2}-\d{2})(?:[T ]00:00(?::00(?:\.0+)?)?(?:Z|\+00(?::?00)?| UTC)?)?$/.exec(
    value.trim(),
  );
  return match?.[1];
}

function items(value: string): Set<string> {
  return new Set(
    value
      .split(";")
      .map((item) => item.trim())
      .filter((item) => item !== ""),
  );
}

function sameSet(left: Set<string>, right: Set<string>): boolean {
  if (left.size !== right.size) return false;
  for (const item of left) if (!right.has(item)) return false;
  return true;
}

function asText(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint")
    return String(value);
  return undefined;
}

/**
 * Whether the field already holds what the load would write: `sent` is the value as the load sends it
 * (null: set to null), `current` the record's value now.
 */
export function sameValue(field: ComparedField, sent: string | null, current: unknown): boolean {
  const sentNull = sent === null || isNullish(sent);
  const currentNull = isNullish(current);
  if (sentNull || currentNull) return sentNull && currentNull;
  const text = sent as string;
  const type = field.sfType;
  if (NUMBER_TYPES.has(type)) {
    const left = parseDecimal(text);
    const right = numberParts(current);
    return left !== undefined && right !== undefined && sameNumber(left, right);
  }
  switch (type) {
    case "boolean": {
      const now = typeof current === "boolean" ? current : asText(current)?.toLowerCase();
      return String(now) === text;
    }
    case "datetime": {
      const left = instant(text);
      return left !== undefined && left === instant(current);
    }
    case "date": {
      const left = day(text);
      return left !== undefined && left === day(current);
    }
    case "time": {
      const right = asText(current);
      const left = normalizeTime(text);
      return left !== undefined && right !== undefined && left === normalizeTime(right.trim());
    }
    case "multipicklist": {
      const right = asText(current);
      return right !== undefined && sameSet(items(text), items(right));
    }
    default: {
      const right = asText(current);
      if (right === undefined) return false;
      if (ID_TYPES.has(type)) {
        const left = id18(text);
        return left !== undefined && left === id18(right);
      }
      return text === right;
    }
  }
}
