/**
 * Turning DML input values into canonical stored values, field type by field type, with the errors
 * Salesforce gives for values it cannot take. JSON input (REST) is typed; CSV input (Bulk ingest) is
 * text where `#N/A` means null and an empty value means "leave unchanged" (null on insert).
 */
import { dmlErrors } from "./dml-errors";
import { normalizeId } from "./ids";
import { NUMBER_TYPES } from "./schema";
import { parseDate, parseDateTime, parseTime } from "./temporal";
import type { DmlError, FieldDef, InputFormat, Value } from "./types";

export type Coerced =
  | { kind: "unchanged" }
  | { kind: "value"; value: Value }
  | { kind: "error"; error: DmlError };

const STRING_TYPES = new Set([
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
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function isNumberType(field: FieldDef): boolean {
  return NUMBER_TYPES.has(field.type);
}

export function isStringType(field: FieldDef): boolean {
  return STRING_TYPES.has(field.type);
}

function jsonToken(raw: unknown): string {
  if (typeof raw === "string") return "VALUE_STRING";
  if (typeof raw === "number") return Number.isInteger(raw) ? "VALUE_NUMBER_INT" : "VALUE_NUMBER_FLOAT";
  if (raw === true) return "VALUE_TRUE";
  if (raw === false) return "VALUE_FALSE";
  if (Array.isArray(raw)) return "START_ARRAY";
  return "START_OBJECT";
}

function fromText(field: FieldDef, text: string): Value | undefined {
  if (STRING_TYPES.has(field.type)) return text;
  switch (field.type) {
    case "id":
    case "reference":
      return text;
    case "boolean": {
      const lower = text.toLowerCase();
      if (lower === "true" || lower === "1") return true;
      if (lower === "false" || lower === "0") return false;
      return undefined;
    }
    case "int":
    case "long":
      return INTEGER.test(text) ? Number(text) : undefined;
    case "double":
    case "currency":
    case "percent":
      return DECIMAL.test(text) ? Number(text) : undefined;
    case "date":
      return parseDate(text);
    case "datetime":
      return parseDateTime(text);
    case "time":
      return parseTime(text);
    default:
      return undefined;
  }
}

/** Canonical value of one CSV cell; `column` is the 1-based column for error messages. */
export function coerceCsv(field: FieldDef, raw: unknown, column: number, onInsert: boolean): Coerced {
  const text = raw === null || raw === undefined ? "" : String(raw);
  if (text === "") return onInsert ? { kind: "value", value: null } : { kind: "unchanged" };
  if (text === "#N/A") return { kind: "value", value: null };
  const value = fromText(field, text);
  if (value === undefined) return { kind: "error", error: dmlErrors.csvType(field, column, text) };
  return { kind: "value", value };
}

/** Canonical value of one JSON property. */
export function coerceJson(field: FieldDef, raw: unknown): Coerced {
  if (raw === undefined) return { kind: "unchanged" };
  if (raw === null) return { kind: "value", value: null };
  const fail = (): Coerced => ({
    kind: "error",
    error: dmlErrors.jsonType(
      field,
      jsonToken(raw),
      typeof raw === "object" ? JSON.stringify(raw) : String(raw),
    ),
  });
  if (typeof raw === "object") return fail();
  if (STRING_TYPES.has(field.type) || field.type === "id" || field.type === "reference") {
    return { kind: "value", value: String(raw) };
  }
  if (NUMBER_TYPES.has(field.type)) {
    const value =
      typeof raw === "number" ? raw : typeof raw === "string" && DECIMAL.test(raw) ? Number(raw) : NaN;
    if (!Number.isFinite(value)) return fail();
    if ((field.type === "int" || field.type === "long") && !Number.isInteger(value)) return fail();
    return { kind: "value", value };
  }
  if (field.type === "boolean") {
    if (typeof raw === "boolean") return { kind: "value", value: raw };
    if (typeof raw === "string" && /^(true|false)$/i.test(raw)) {
      return { kind: "value", value: raw.toLowerCase() === "true" };
    }
    return fail();
  }
  if (typeof raw !== "string") return fail();
  const value = fromText(field, raw);
  return value === undefined ? fail() : { kind: "value", value };
}

export function coerce(
  field: FieldDef,
  raw: unknown,
  format: InputFormat,
  column: number,
  onInsert: boolean,
): Coerced {
  return format === "csv" ? coerceCsv(field, raw, column, onInsert) : coerceJson(field, raw);
}

/**
 * Checks a canonical value against the field's constraints (length, restricted picklist, email,
 * numeric range) and returns it normalised (numbers rounded to the field's scale, Ids to 18 chars).
 */
export function validate(field: FieldDef, value: Value): { value: Value } | { error: DmlError } {
  if (value === null) return { value };
  if (typeof value === "string") {
    if (field.type === "reference" || field.type === "id") {
      const id = normalizeId(value);
      return id ? { value: id } : { error: dmlErrors.malformedId(field.label, value, field.name) };
    }
    if (field.type !== "base64" && field.length > 0 && value.length > field.length) {
      return { error: dmlErrors.stringTooLong(field, value) };
    }
    if ((field.type === "picklist" || field.type === "multipicklist") && field.restrictedPicklist) {
      const allowed = new Set(field.picklistValues.filter((p) => p.active).map((p) => p.value));
      const parts = field.type === "multipicklist" ? value.split(";") : [value];
      const bad = parts.find((part) => !allowed.has(part));
      if (bad !== undefined) return { error: dmlErrors.restrictedPicklist(field, bad) };
    }
    if (field.type === "email" && !EMAIL.test(value)) return { error: dmlErrors.invalidEmail(field, value) };
    return { value };
  }
  if (typeof value === "number" && NUMBER_TYPES.has(field.type)) {
    const integerDigits =
      field.type === "int" || field.type === "long"
        ? field.digits
        : Math.max(0, field.precision - field.scale);
    const scale = field.type === "int" || field.type === "long" ? 0 : field.scale;
    const factor = 10 ** scale;
    const rounded = Math.round(value * factor) / factor;
    if (integerDigits > 0 && Math.abs(Math.trunc(rounded)) >= 10 ** integerDigits) {
      return { error: dmlErrors.numberOutOfRange(field, String(value)) };
    }
    return { value: rounded };
  }
  return { value };
}
