/**
 * Bulk API 2.0 CSV as Salesforce writes it: every field double-quoted, null as `""`, quotes doubled,
 * datetimes `2024-04-16T19:00:00.000Z`, numbers always with a decimal part (`23.0`), booleans
 * `true`/`false`; the job's column delimiter and line ending.
 */
import type { Column, CompoundValue, FieldDef, ResultRow, Value } from "../org/types";
import { bulkDateTime } from "./wire-dates";

export const COLUMN_DELIMITERS = {
  COMMA: ",",
  TAB: "\t",
  SEMICOLON: ";",
  PIPE: "|",
  CARET: "^",
  BACKQUOTE: "`",
} as const;
export type ColumnDelimiter = keyof typeof COLUMN_DELIMITERS;

export const LINE_ENDINGS = { LF: "\n", CRLF: "\r\n" } as const;
export type LineEnding = keyof typeof LINE_ENDINGS;

export function isColumnDelimiter(value: unknown): value is ColumnDelimiter {
  return typeof value === "string" && value in COLUMN_DELIMITERS;
}

export function isLineEnding(value: unknown): value is LineEnding {
  return typeof value === "string" && value in LINE_ENDINGS;
}

/** A field in double quotes with embedded quotes doubled. */
export function quote(text: string): string {
  return text.indexOf('"') === -1 ? `"${text}"` : `"${text.replaceAll('"', '""')}"`;
}

/** Salesforce writes every number with a decimal part: 23 → `23.0`, 1.5 → `1.5`. */
export function bulkNumber(n: number): string {
  const text = String(n);
  return Number.isInteger(n) && !text.includes("e") ? `${text}.0` : text;
}

type CellFormatter = (value: Value | CompoundValue) => string;

const EMPTY = '""';

function cellFormatter(field: FieldDef): CellFormatter {
  switch (field.type) {
    case "datetime":
      return (v) => (typeof v === "number" ? `"${bulkDateTime(v)}"` : v === null ? EMPTY : quote(String(v)));
    case "int":
    case "long":
    case "double":
    case "currency":
    case "percent":
      return (v) => (typeof v === "number" ? `"${bulkNumber(v)}"` : v === null ? EMPTY : quote(String(v)));
    case "boolean":
      return (v) => (v === true ? '"true"' : v === false ? '"false"' : v === null ? EMPTY : quote(String(v)));
    default:
      return (v) => (v === null ? EMPTY : typeof v === "string" ? quote(v) : quote(String(v)));
  }
}

/** The header line and a row formatter for a query's columns. */
export function bulkRowFormat(
  columns: Column[],
  delimiter: ColumnDelimiter,
  lineEnding: LineEnding,
): { header: string; row: (row: ResultRow) => string } {
  const sep = COLUMN_DELIMITERS[delimiter];
  const eol = LINE_ENDINGS[lineEnding];
  const formatters = columns.map((c) => cellFormatter(c.field));
  const header = columns.map((c) => quote(c.name)).join(sep) + eol;
  const count = formatters.length;
  const row = (r: ResultRow): string => {
    const values = r.values;
    let line = "";
    for (let i = 0; i < count; i++) {
      const cell = (formatters[i] as CellFormatter)(values[i] ?? null);
      line = i === 0 ? cell : line + sep + cell;
    }
    return line + eol;
  };
  return { header, row };
}

/** One CSV line of plain strings, every field quoted. */
export function csvLine(values: readonly string[], sep: string, eol: string): string {
  let line = "";
  for (let i = 0; i < values.length; i++) {
    line += (i === 0 ? "" : sep) + quote(values[i] as string);
  }
  return line + eol;
}
