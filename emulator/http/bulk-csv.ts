/**
 * Bulk API 2.0 CSV as Salesforce writes it: every field double-quoted, null as `""`, quotes doubled,
 * datetimes `2024-04-16T19:00:00.000Z`, numbers always with a decimal part (`23.0`), booleans
 * `true`/`false`; the job's column delimiter and line ending.
 */
import type { Column, CompoundValue, FieldDef, ResultRow, Value } from "../org/types";
import { type ByteSink, writeAscii, writeBytes, writeQuoted } from "./byte-sink";
import type { MaterializedCsv } from "./materialized-csv";
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

const NUMBER = 1;
const DATETIME = 2;

function cellKind(field: FieldDef): number {
  switch (field.type) {
    case "datetime":
      return DATETIME;
    case "int":
    case "long":
    case "double":
    case "currency":
    case "percent":
      return NUMBER;
    default:
      return 0;
  }
}

const QUOTE = 0x22;
const DAY_MS = 86_400_000;
const TRUE = Buffer.from('"true"');
const FALSE = Buffer.from('"false"');

/**
 * Writes one row's cells as bytes straight into `out` (quoted, escaped, UTF-8), with numbers and
 * datetimes formatted digit by digit: a million rows of forty fields make no garbage besides the
 * values themselves.
 */
class RowWriter {
  private readonly sep: number;
  private readonly eol: Buffer;
  private readonly digits = new Uint8Array(24);

  constructor(
    private readonly kinds: number[],
    sep: string,
    eol: string,
  ) {
    this.sep = Buffer.from(sep)[0] as number;
    this.eol = Buffer.from(eol);
  }

  write(row: ResultRow, out: MaterializedCsv): void {
    const values = row.values;
    const kinds = this.kinds;
    for (let i = 0; i < kinds.length; i++) {
      if (i > 0) {
        out.ensure(1);
        out.buf[out.pos++] = this.sep;
      }
      const v = values[i] as Value | CompoundValue | undefined;
      if (v === null || v === undefined) writeAscii(out, '""');
      else if (typeof v === "string") writeQuoted(out, v);
      else if (typeof v === "number") {
        const kind = kinds[i];
        if (kind === DATETIME) this.dateTime(out, v);
        else if (kind === NUMBER) this.number(out, v);
        else writeQuoted(out, String(v));
      } else if (typeof v === "boolean") writeBytes(out, v ? TRUE : FALSE);
      else writeQuoted(out, JSON.stringify(v));
    }
    writeBytes(out, this.eol);
    out.endRow();
  }

  /** `"23.0"`, `"-4.0"`, `"1.5"`: integers digit by digit, other numbers through String(). */
  private number(out: ByteSink, n: number): void {
    if (!Number.isInteger(n) || Math.abs(n) >= 1e15) {
      writeAscii(out, `"${bulkNumber(n)}"`);
      return;
    }
    out.ensure(24);
    const buf = out.buf;
    let p = out.pos;
    buf[p++] = QUOTE;
    if (n < 0) {
      buf[p++] = 0x2d;
      n = -n;
    }
    let count = 0;
    do {
      this.digits[count++] = 0x30 + (n % 10);
      n = Math.floor(n / 10);
    } while (n > 0);
    while (count > 0) buf[p++] = this.digits[--count] as number;
    buf[p++] = 0x2e;
    buf[p++] = 0x30;
    buf[p++] = QUOTE;
    out.pos = p;
  }

  /** `"2024-04-16T19:00:00.000Z"`, computed arithmetically (no Date object per value). */
  private dateTime(out: ByteSink, epochMs: number): void {
    const days = Math.floor(epochMs / DAY_MS);
    // Civil date from days since 1970-01-01 (proleptic Gregorian; Howard Hinnant's algorithm).
    const z = days + 719468;
    const era = Math.floor(z / 146097);
    const doe = z - era * 146097;
    const yoe = Math.floor(
      (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
    );
    const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
    const mp = Math.floor((5 * doy + 2) / 153);
    const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
    const month = mp < 10 ? mp + 3 : mp - 9;
    const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
    if (year < 0 || year > 9999) {
      writeAscii(out, `"${bulkDateTime(epochMs)}"`);
      return;
    }
    let rest = epochMs - days * DAY_MS;
    const hours = Math.floor(rest / 3_600_000);
    rest -= hours * 3_600_000;
    const minutes = Math.floor(rest / 60_000);
    rest -= minutes * 60_000;
    const seconds = Math.floor(rest / 1000);
    const millis = rest - seconds * 1000;
    out.ensure(26);
    const buf = out.buf;
    let p = out.pos;
    buf[p++] = QUOTE;
    buf[p++] = 0x30 + Math.floor(year / 1000);
    buf[p++] = 0x30 + (Math.floor(year / 100) % 10);
    buf[p++] = 0x30 + (Math.floor(year / 10) % 10);
    buf[p++] = 0x30 + (year % 10);
    buf[p++] = 0x2d;
    buf[p++] = 0x30 + Math.floor(month / 10);
    buf[p++] = 0x30 + (month % 10);
    buf[p++] = 0x2d;
    buf[p++] = 0x30 + Math.floor(day / 10);
    buf[p++] = 0x30 + (day % 10);
    buf[p++] = 0x54;
    buf[p++] = 0x30 + Math.floor(hours / 10);
    buf[p++] = 0x30 + (hours % 10);
    buf[p++] = 0x3a;
    buf[p++] = 0x30 + Math.floor(minutes / 10);
    buf[p++] = 0x30 + (minutes % 10);
    buf[p++] = 0x3a;
    buf[p++] = 0x30 + Math.floor(seconds / 10);
    buf[p++] = 0x30 + (seconds % 10);
    buf[p++] = 0x2e;
    buf[p++] = 0x30 + Math.floor(millis / 100);
    buf[p++] = 0x30 + (Math.floor(millis / 10) % 10);
    buf[p++] = 0x30 + (millis % 10);
    buf[p++] = 0x5a;
    buf[p++] = QUOTE;
    out.pos = p;
  }
}

/** The header line and a writer that appends a query's rows to a MaterializedCsv. */
export function bulkRowWriter(
  columns: Column[],
  delimiter: ColumnDelimiter,
  lineEnding: LineEnding,
): { header: string; write: (row: ResultRow, out: MaterializedCsv) => void } {
  const sep = COLUMN_DELIMITERS[delimiter];
  const eol = LINE_ENDINGS[lineEnding];
  const header = columns.map((c) => quote(c.name)).join(sep) + eol;
  const writer = new RowWriter(
    columns.map((c) => cellKind(c.field)),
    sep,
    eol,
  );
  return { header, write: (row, out) => writer.write(row, out) };
}
