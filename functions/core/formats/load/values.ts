/**
 * A user's value (from an inbound CSV or JSON lines file) checked against the field's describe and
 * turned into what Salesforce takes: the text of a Bulk ingest CSV cell (`toSalesforceValue`) or a typed
 * JSON value for sObject Collections (`toJsonValue`). Both come from one parse, so the two load paths
 * accept and reject exactly the same values.
 *
 * Not set versus null:
 * - `undefined` means "not set": the column is absent (JSON lines without the key) or the CSV cell is
 *   empty. That matches Salesforce's own CSV rule (an empty cell leaves a field unchanged on update).
 * - `null` means "set to null": JSON `null` or `""`, or a CSV cell holding the null marker (`#N/A`
 *   by default, the marker Salesforce's Bulk API itself uses).
 */
import type { CatalogField } from "../../catalog";
import { isValidDateText, normalizeDateTime, normalizeTime } from "../datetime-text";
import {
  type DecimalParts,
  integerDigitCount,
  parseDecimal,
  toIntegerText,
  toPlainDecimal,
} from "../decimal-text";

export type RawValue = string | number | boolean | null | undefined;
export type ValueSource = "csv" | "json";

export interface ValueOptions {
  /** CSV cell text that sets a field to null (default `#N/A`). */
  nullMarker?: string;
  /** Read datetimes without `Z` or an offset as UTC instead of rejecting them (default false). */
  assumeUtc?: boolean;
}

export type ValueFailure = { ok: false; reason: string; code: string };
export type ValueResult<T> = { ok: true; value: T | null | undefined } | ValueFailure;

/** A JSON value for the REST sObject Collections body. */
export type JsonFieldValue = string | number | boolean;

/** The text of a Bulk ingest CSV cell: a value, `null` (write `#N/A`) or `undefined` (leave empty). */
export function toSalesforceValue(
  field: CatalogField,
  raw: RawValue,
  source: ValueSource,
  options: ValueOptions = {},
): ValueResult<string> {
  const text = toSalesforceText(field, raw, source, options);
  if (isFailure(text)) return text;
  return { ok: true, value: text };
}

/**
 * As `toSalesforceValue`, without the result object: the load checks every cell of every row with it,
 * so a valid cell costs no allocation beyond its text.
 */
export function toSalesforceText(
  field: CatalogField,
  raw: RawValue,
  source: ValueSource,
  options: ValueOptions = NO_OPTIONS,
): string | null | undefined | ValueFailure {
  const parsed = parse(field, raw, source, options);
  if (parsed === UNSET) return undefined;
  if (parsed === NULL) return null;
  if (typeof parsed === "string") return parsed;
  if ("reason" in parsed) return parsed;
  return parsed.text;
}

export function isFailure(value: string | null | undefined | ValueFailure): value is ValueFailure {
  return typeof value === "object" && value !== null;
}

/**
 * The typed JSON value for REST: strings, booleans, numbers (integers and decimals a double holds
 * exactly; longer decimals as their digits in a string, which Salesforce reads as the number).
 */
export function toJsonValue(
  field: CatalogField,
  raw: RawValue,
  source: ValueSource,
  options: ValueOptions = {},
): ValueResult<JsonFieldValue> {
  const parsed = parse(field, raw, source, options);
  if (parsed === UNSET || parsed === NULL) return { ok: true, value: parsed === NULL ? null : undefined };
  if (typeof parsed === "string") return { ok: true, value: parsed };
  if ("reason" in parsed) return parsed;
  return { ok: true, value: parsed.json };
}

/** A value whose CSV text and JSON value differ; a plain string is both (text, ids, dates). */
interface Parsed {
  text: string;
  json: JsonFieldValue;
}

const NO_OPTIONS: ValueOptions = {};

const UNSET = Symbol("unset");
const NULL = Symbol("null");

const TEXT_TYPES = new Set([
  "string",
  "textarea",
  "picklist",
  "multipicklist",
  "combobox",
  "email",
  "phone",
  "url",
  "encryptedstring",
  "base64",
  "anyType",
]);

const ID = /^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const BASE64 = /^[A-Za-z0-9+/\r\n]*={0,2}$/;
const TRUE_WORDS = new Set(["true", "1", "yes"]);
const FALSE_WORDS = new Set(["false", "0", "no"]);
const INT_MIN = -(2n ** 31n);
const INT_MAX = 2n ** 31n - 1n;
const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;
/** Salesforce stores dates and datetimes between these years. */
const MIN_YEAR = 1700;
const MAX_YEAR = 4000;

function parse(
  field: CatalogField,
  raw: RawValue,
  source: ValueSource,
  options: ValueOptions,
): string | Parsed | ValueFailure | typeof UNSET | typeof NULL {
  if (raw === undefined) return UNSET;
  if (raw === null) return NULL;
  if (typeof raw === "string") {
    if (source === "csv") {
      if (raw === "") return UNSET;
      const marker = options.nullMarker ?? "#N/A";
      if (raw.includes(marker) && raw.trim() === marker) return NULL;
    } else if (raw === "") {
      return NULL;
    }
  }
  const type = field.sfType;
  if (TEXT_TYPES.has(type)) return text(field, raw);
  switch (type) {
    case "id":
    case "reference":
      return id(field, raw);
    case "boolean":
      return boolean(field, raw);
    case "int":
    case "long":
      return integer(field, raw);
    case "double":
    case "currency":
    case "percent":
      return decimal(field, raw);
    case "date":
      return date(field, raw);
    case "datetime":
      return datetime(field, raw, options);
    case "time":
      return time(field, raw);
    case "address":
    case "location":
      return fail(
        field,
        raw,
        "is for a compound field, which cannot be written: write its component fields instead",
        "INVALID_FIELD",
      );
    default:
      return text(field, raw);
  }
}

function describeField(field: CatalogField): string {
  const type = field.sfType;
  if (
    ["double", "currency", "percent"].includes(type) &&
    field.precision !== undefined &&
    field.precision > 0
  ) {
    return `${type}(${field.precision},${field.scale ?? 0})`;
  }
  if (TEXT_TYPES.has(type) && field.length !== undefined && field.length > 0)
    return `${type}(${field.length})`;
  return type;
}

function show(raw: RawValue): string {
  if (typeof raw !== "string") return JSON.stringify(raw);
  return `'${raw.length > 60 ? `${raw.slice(0, 60)}…` : raw}'`;
}

function fail(field: CatalogField, raw: RawValue, what: string, code: string): ValueFailure {
  return { ok: false, reason: `${show(raw)} ${what} (field ${field.name}, ${describeField(field)})`, code };
}

function wrongType(field: CatalogField, raw: RawValue, expected: string): ValueFailure {
  return fail(field, raw, `is not ${expected}`, "INVALID_TYPE_ON_FIELD_IN_RECORD");
}

function text(field: CatalogField, raw: RawValue): string | ValueFailure {
  if (typeof raw !== "string" && typeof raw !== "number" && typeof raw !== "boolean") {
    return wrongType(field, raw, "text");
  }
  let value = String(raw);
  const type = field.sfType;
  if (type === "multipicklist") {
    const items = value.split(";");
    if (!isTidyList(items)) {
      value = [...new Set(items.map((v) => v.trim()).filter((v) => v !== ""))].join(";");
    }
    if (field.restrictedPicklist === true && field.picklistValues !== undefined) {
      for (const item of items) {
        const trimmed = item.trim();
        if (trimmed === "") continue;
        const problem = picklistProblem(field, raw, trimmed);
        if (problem !== undefined) return problem;
      }
    }
  } else if (type === "picklist" && field.restrictedPicklist === true && field.picklistValues !== undefined) {
    const problem = picklistProblem(field, raw, value);
    if (problem !== undefined) return problem;
  } else if (type === "email" && !EMAIL.test(value.trim())) {
    return fail(field, raw, "is not an email address (expected name@example.com)", "INVALID_EMAIL_ADDRESS");
  } else if (type === "base64" && !BASE64.test(value)) {
    return wrongType(field, raw, "base64 text (A-Z, a-z, 0-9, +, / and = padding)");
  }
  if (field.length !== undefined && field.length > 0 && value.length > field.length) {
    return fail(
      field,
      raw,
      `is ${value.length} characters long, the field holds at most ${field.length}`,
      "STRING_TOO_LONG",
    );
  }
  return value;
}

/**
 * A multi-select value already in Salesforce's form: no empty item, no space around an item, no item
 * twice (the usual value, kept as it is instead of split, trimmed, deduplicated and joined again).
 */
function isTidyList(items: string[]): boolean {
  for (let k = 0; k < items.length; k++) {
    const item = items[k] as string;
    if (item === "" || item.trim() !== item) return false;
    for (let j = 0; j < k; j++) if (items[j] === item) return false;
  }
  return true;
}

function picklistProblem(field: CatalogField, raw: RawValue, value: string): ValueFailure | undefined {
  const allowed = field.picklistValues ?? [];
  if (allowed.includes(value)) return undefined;
  const sameButCase = allowed.find((a) => a.toLowerCase() === value.toLowerCase());
  const hint = sameButCase !== undefined ? `did you mean '${sameButCase}'?` : `use one of ${listOf(allowed)}`;
  return fail(
    field,
    raw,
    `${value === raw ? "is" : `holds '${value}', which is`} not a value of the restricted picklist: ${hint}`,
    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
  );
}

function listOf(values: string[]): string {
  const shown = values.slice(0, 20).join(", ");
  return values.length > 20 ? `${shown}, … (${values.length} values)` : shown;
}

function id(field: CatalogField, raw: RawValue): string | ValueFailure {
  const value = typeof raw === "string" ? raw.trim() : "";
  if (!ID.test(value)) {
    return fail(field, raw, "is not a Salesforce Id (15 or 18 letters and digits)", "MALFORMED_ID");
  }
  return value;
}

function boolean(field: CatalogField, raw: RawValue): Parsed | ValueFailure {
  let value: boolean | undefined;
  if (typeof raw === "boolean") value = raw;
  else if (typeof raw === "number") value = raw === 1 ? true : raw === 0 ? false : undefined;
  else if (typeof raw === "string") {
    const word = raw.trim().toLowerCase();
    value = TRUE_WORDS.has(word) ? true : FALSE_WORDS.has(word) ? false : undefined;
  }
  if (value === undefined) return wrongType(field, raw, "a boolean (expected true/false, 1/0 or yes/no)");
  return { text: String(value), json: value };
}

function numberParts(raw: RawValue): DecimalParts | undefined {
  if (typeof raw === "number") return Number.isFinite(raw) ? parseDecimal(String(raw)) : undefined;
  if (typeof raw === "string") return parseDecimal(raw.trim());
  return undefined;
}

function integer(field: CatalogField, raw: RawValue): Parsed | ValueFailure {
  const parts = numberParts(raw);
  if (parts === undefined) return wrongType(field, raw, "a number");
  const digits = toIntegerText(parts);
  if (digits === undefined) {
    if (parts.exponent < 0) return wrongType(field, raw, "a whole number");
    return fail(field, raw, "is too large", "NUMBER_OUTSIDE_VALID_RANGE");
  }
  // Up to 9 digits is inside both ranges and exact as a double: no BigInt for the usual value.
  if (digits.length - (digits.charCodeAt(0) === 0x2d ? 1 : 0) <= 9)
    return { text: digits, json: Number(digits) };
  const value = BigInt(digits);
  const [min, max] = field.sfType === "int" ? [INT_MIN, INT_MAX] : [LONG_MIN, LONG_MAX];
  if (value < min || value > max) {
    return fail(field, raw, `is outside the range ${min} to ${max}`, "NUMBER_OUTSIDE_VALID_RANGE");
  }
  const exact = value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER);
  return { text: digits, json: exact ? Number(digits) : digits };
}

function decimal(field: CatalogField, raw: RawValue): Parsed | ValueFailure {
  const parts = numberParts(raw);
  if (parts === undefined) {
    const hint =
      typeof raw === "string" && /\d,\d/.test(raw) ? " (write 1234.5, without thousands separators)" : "";
    return wrongType(field, raw, `a number${hint}`);
  }
  const precision = field.precision ?? 0;
  if (precision > 0) {
    const allowed = precision - (field.scale ?? 0);
    const digits = integerDigitCount(parts);
    if (digits > allowed) {
      return fail(
        field,
        raw,
        `has ${digits} digits before the decimal point, the field allows ${allowed}`,
        "NUMBER_OUTSIDE_VALID_RANGE",
      );
    }
  }
  const text = toPlainDecimal(parts, 400);
  // Salesforce numbers are doubles: beyond their range (1e309) there is no such number, and in JSON the
  // Infinity it parses to would be sent as null.
  if (text === undefined || !Number.isFinite(Number(text))) {
    return fail(field, raw, "is too large or too small", "NUMBER_OUTSIDE_VALID_RANGE");
  }
  const significant = parts.digits === "0" ? 1 : parts.digits.length;
  const json = significant <= 15 ? Number(text) : text;
  return { text, json };
}

function yearOf(text: string): number {
  return Number(text.slice(0, 4));
}

function date(field: CatalogField, raw: RawValue): string | ValueFailure {
  if (typeof raw !== "string") return wrongType(field, raw, "a date (expected YYYY-MM-DD)");
  const value = raw.trim();
  if (!isValidDateText(value)) return wrongType(field, raw, "a date (expected YYYY-MM-DD, like 2024-04-16)");
  const year = yearOf(value);
  if (year < MIN_YEAR || year > MAX_YEAR) {
    return fail(
      field,
      raw,
      `is outside the years ${MIN_YEAR} to ${MAX_YEAR}`,
      "INVALID_TYPE_ON_FIELD_IN_RECORD",
    );
  }
  return value;
}

function datetime(field: CatalogField, raw: RawValue, options: ValueOptions): string | ValueFailure {
  if (typeof raw !== "string") return wrongType(field, raw, "a datetime (expected 2024-04-16T19:00:00Z)");
  const result = normalizeDateTime(raw.trim(), { assumeUtc: options.assumeUtc === true });
  if (!result.ok) {
    if (result.reason === "no-zone") {
      return fail(
        field,
        raw,
        "has no time zone: add Z for UTC or an offset like +02:00 (2024-04-16T19:00:00Z)",
        "INVALID_TYPE_ON_FIELD_IN_RECORD",
      );
    }
    return wrongType(field, raw, "a datetime (expected 2024-04-16T19:00:00Z or 2024-04-16T21:00:00+02:00)");
  }
  const year = yearOf(result.value);
  if (year < MIN_YEAR || year > MAX_YEAR) {
    return fail(
      field,
      raw,
      `is outside the years ${MIN_YEAR} to ${MAX_YEAR}`,
      "INVALID_TYPE_ON_FIELD_IN_RECORD",
    );
  }
  return result.value;
}

function time(field: CatalogField, raw: RawValue): string | ValueFailure {
  const value = typeof raw === "string" ? normalizeTime(raw.trim()) : undefined;
  if (value === undefined) return wrongType(field, raw, "a time (expected HH:mm:ss.SSS, like 19:30:00.000)");
  return value;
}
