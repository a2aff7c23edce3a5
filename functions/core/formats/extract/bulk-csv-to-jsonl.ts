// functions/core/formats/extract/: Salesforce → lake: Bulk CSV and REST records to typed Parquet row groups or JSON lines
/**
 * Bulk API 2.0 query results (CSV) → typed JSON lines, on bytes.
 *
 * This is the extract hot path, so it never makes a JS string per field or an object per row: pages
 * are read through BulkCsvScanner (the page rules, and each row's fields located in place), and each
 * row's field bytes are copied straight into a growable output buffer (escaping only what JSON
 * requires) after pre-encoded `{"Name":` key prefixes. Typed values (numbers, booleans, datetimes) are
 * checked and copied in place; only unusual spellings take a slower string path.
 */
import { isValidYmd, normalizeDateTime } from "../datetime-text";
import { parseDecimal, toIntegerText, toJsonNumberText } from "../decimal-text";
import { BulkCsvScanner, type BulkRowWriter, DOUBLED_QUOTES } from "./bulk-csv-scanner";
import { type FieldHasher, fieldText } from "./field-hash";

export interface JsonlColumn {
  name: string;
  sfType: string;
  /** A hashed field (settings `hashFields`): its value lands as this hash of its text, never in clear. */
  hash?: FieldHasher;
}

const Kind = {
  String: 0,
  Boolean: 1,
  Integer: 2,
  Number: 3,
  DateTime: 4,
  Date: 5,
  Hashed: 6,
} as const;
type Kind = (typeof Kind)[keyof typeof Kind];

/** Salesforce describe types → how the value is written. Types not listed are written as strings. */
const KIND_BY_TYPE: Record<string, Kind> = {
  boolean: Kind.Boolean,
  int: Kind.Integer,
  long: Kind.Integer,
  double: Kind.Number,
  currency: Kind.Number,
  percent: Kind.Number,
  datetime: Kind.DateTime,
  date: Kind.Date,
};

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
const BACKSLASH = 0x5c;

/** Bytes that end or interrupt a plain copy inside a quoted field: `"`, `\` and control characters. */
const SPECIAL = new Uint8Array(256);
for (let b = 0; b < 0x20; b++) SPECIAL[b] = 1;
SPECIAL[QUOTE] = 1;
SPECIAL[BACKSLASH] = 1;

const HEX = "0123456789abcdef";
/** `null` as one little-endian 32-bit word. */
const NULL_WORD = 0x6c6c756e;
const TRUE_WORD = 0x65757274;
/** `fals` as one little-endian 32-bit word. */
const FALS_WORD = 0x736c6166;
const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Output bytes a field may need at most per input byte (a control character becomes `\u00XX`). */
const MAX_EXPANSION = 6;

/** A hashed value's output: 64 hex digits between quotes. */
const HASHED_BYTES = 66;

/** Longest integer text accepted for int/long (a long has 19 digits; the rest is headroom for errors). */
const MAX_INTEGER_DIGITS = 40;
/** Typed values longer than this cannot be valid and are reported instead of copied. */
const MAX_TYPED_BYTES = 400;

export class BulkCsvToJsonl implements BulkRowWriter {
  private readonly scanner: BulkCsvScanner;
  private readonly types: string[];
  private readonly kinds: Uint8Array;
  private readonly hashes: Array<FieldHasher | undefined>;
  /**
   * Key prefixes (`{"A":` then `,"B":` …) as little-endian 32-bit words, written four bytes at a time
   * (the padding past a prefix is overwritten by the value that follows).
   */
  private readonly prefixWords: Int32Array;
  private readonly wordStart: Int32Array;
  private readonly wordEnd: Int32Array;
  private readonly prefixLength: Int32Array;
  /** Room a row needs besides its values' bytes: prefixes with padding, nulls, quotes, `}` and a line end. */
  private readonly reserve: number;

  private out: Uint8Array = EMPTY;
  private view: DataView = new DataView(EMPTY.buffer);
  private o = 0;

  /**
   * @param columns the query's columns, in order
   * @param object  named in error messages
   */
  constructor(columns: JsonlColumn[], object = "") {
    this.scanner = new BulkCsvScanner(
      object,
      columns.map((c) => c.name),
      this,
    );
    this.types = columns.map((c) => c.sfType);
    this.kinds = Uint8Array.from(columns, (c) =>
      c.hash !== undefined ? Kind.Hashed : (KIND_BY_TYPE[c.sfType] ?? Kind.String),
    );
    this.hashes = columns.map((c) => c.hash);
    const parts = columns.map((c, i) => encoder.encode(`${i === 0 ? "{" : ","}${JSON.stringify(c.name)}:`));
    const wordCount = parts.reduce((n, p) => n + Math.ceil(p.length / 4), 0);
    const padded = new Uint8Array(wordCount * 4);
    this.wordStart = new Int32Array(columns.length);
    this.wordEnd = new Int32Array(columns.length);
    this.prefixLength = Int32Array.from(parts, (p) => p.length);
    let at = 0;
    parts.forEach((p, i) => {
      padded.set(p, at * 4);
      this.wordStart[i] = at;
      at += Math.ceil(p.length / 4);
      this.wordEnd[i] = at;
    });
    const view = new DataView(padded.buffer);
    this.prefixWords = Int32Array.from({ length: wordCount }, (_, w) => view.getInt32(w * 4, true));
    // A hashed field writes 66 bytes (64 hex digits, quoted) whatever its length: room planned for it.
    const hashed = columns.filter((c) => c.hash !== undefined).length;
    this.reserve = parts.reduce((n, p) => n + p.length + 3 + 32, 2) + HASHED_BYTES * hashed;
  }

  /** Rows converted so far, over all pages. */
  get records(): number {
    return this.scanner.records;
  }

  /**
   * Rows converted so far in the current page, or in the page just ended until the next push (compare
   * with `Sforce-NumberOfRecords`).
   */
  get pageRecords(): number {
    return this.scanner.pageRecords;
  }

  /**
   * Feed the next chunk of one result page; returns the JSON lines of rows completed so far (may be
   * empty). The lines are a view of the converter's own buffer, valid until the next `push` or
   * `endPage`: consume or copy them before feeding more.
   */
  push(chunk: Uint8Array): Uint8Array {
    if (chunk.length === 0) return EMPTY;
    this.scanner.push(chunk);
    return this.take();
  }

  /**
   * End of one page: returns the last lines (a view valid until the next `push` or `endPage`, like
   * push's); throws DataError on a truncated page (open quote, partial row).
   */
  endPage(): Uint8Array {
    try {
      this.scanner.endPage();
      return this.take();
    } finally {
      this.o = 0;
    }
  }

  /**
   * Hands the converted lines over as a view of the output buffer, which the next push writes over:
   * one buffer serves the whole extract (a fresh one per push was about 3 × the input in garbage,
   * gigabytes per million rows, and buffer memory is only freed by a full collection).
   */
  private take(): Uint8Array {
    if (this.o === 0) return EMPTY;
    const result = this.out.subarray(0, this.o);
    this.o = 0;
    return result;
  }

  private grow(minimum: number): Uint8Array {
    const next: Uint8Array = Buffer.allocUnsafe(Math.max(minimum, this.out.length * 2, 1 << 16));
    next.set(this.out.subarray(0, this.o));
    this.out = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.byteLength);
    return next;
  }

  /** One row as a JSON line. */
  writeRow(buf: Uint8Array, input: DataView): void {
    const { starts, ends, marks } = this.scanner;
    const kinds = this.kinds;
    const ncols = kinds.length;
    const prefixWords = this.prefixWords;
    const wordStart = this.wordStart;
    const wordEnd = this.wordEnd;
    const prefixLength = this.prefixLength;
    const reserve = this.reserve;
    let out = this.out;
    let view = this.view;
    let o = this.o;

    // Room for the whole row however its fields are escaped, so nothing below checks for room.
    const room = o + reserve + MAX_EXPANSION * ((ends[ncols - 1] as number) - (starts[0] as number));
    if (room > out.length) {
      out = this.grow(room);
      view = this.view;
    }
    for (let c = 0; c < ncols; c++) {
      const a = starts[c] as number;
      const b = ends[c] as number;
      for (let w = wordStart[c] as number, we = wordEnd[c] as number, at = o; w < we; w++, at += 4) {
        view.setInt32(at, prefixWords[w] as number, true);
      }
      o += prefixLength[c] as number;
      const n = b - a;
      const kind = kinds[c] as number;
      if (n === 0) {
        view.setInt32(o, NULL_WORD, true);
        o += 4;
      } else if (kind === Kind.String) {
        const mark = marks[c] as number;
        if (mark === 0 && b + 3 < buf.length) {
          // Plain text: copied as it is, four bytes at a time; the last word may take up to three
          // bytes past the field (the input has them), which the closing quote and what follows
          // overwrite.
          out[o] = QUOTE;
          for (let p = a, at = o + 1; p < b; p += 4, at += 4)
            view.setInt32(at, input.getInt32(p, true), true);
          o += n + 1;
          out[o++] = QUOTE;
        } else o = this.text(buf, input, a, b, out, view, o);
      } else if (kind === Kind.Hashed) {
        // Hashed: the field's text never reaches the output, only its hash (64 hex digits, quoted).
        const hash = this.hashes[c] as FieldHasher;
        this.o = o;
        o = this.writeAscii(`"${hash(fieldText(buf, a, b, ((marks[c] as number) & DOUBLED_QUOTES) !== 0))}"`);
        out = this.out;
        view = this.view;
      } else {
        // The usual values are copied here; anything else goes through typed() and its checks.
        let next = -1;
        if (kind === Kind.DateTime) {
          if (n === 24 && isCanonicalDateTime(buf, a)) {
            out[o] = QUOTE;
            for (let k = 0; k < 24; k += 4) view.setInt32(o + 1 + k, input.getInt32(a + k, true), true);
            out[o + 25] = QUOTE;
            next = o + 26;
          }
        } else if (kind === Kind.Number) {
          if (isJsonNumberBytes(buf, a, b)) {
            for (let p = a; p < b; p++) out[o++] = buf[p] as number;
            next = o;
          }
        } else if (kind === Kind.Integer) {
          next = writePlainInteger(buf, a, b, out, o);
        } else if (kind === Kind.Boolean) {
          if (n === 4 && input.getInt32(a, true) === TRUE_WORD) {
            view.setInt32(o, TRUE_WORD, true);
            next = o + 4;
          } else if (n === 5 && input.getInt32(a, true) === FALS_WORD && buf[a + 4] === 0x65) {
            view.setInt32(o, FALS_WORD, true);
            out[o + 4] = 0x65;
            next = o + 5;
          }
        } else if (n === 10 && isDate(buf, a)) {
          out[o] = QUOTE;
          view.setInt32(o + 1, input.getInt32(a, true), true);
          view.setInt32(o + 5, input.getInt32(a + 4, true), true);
          out[o + 9] = buf[a + 8] as number;
          out[o + 10] = buf[a + 9] as number;
          out[o + 11] = QUOTE;
          next = o + 12;
        }
        if (next >= 0) o = next;
        else {
          this.o = o;
          // A spelling typed() rewrites can outgrow the room planned above (say 40 digits for "1E39"):
          // it then grows the buffer to at least twice its size, which holds the rest of the row.
          o = this.typed(buf, a, b, kind, c, marks[c] as number);
          out = this.out;
          view = this.view;
        }
      }
    }
    out[o++] = 0x7d;
    out[o++] = LF;
    this.o = o;
  }

  /**
   * Writes text `buf[a, b)` as a JSON string, escaping what JSON requires (a quote inside is the first
   * of a doubled pair); `out` has room for it. Returns the new output position.
   */
  private text(
    buf: Uint8Array,
    input: DataView,
    a: number,
    b: number,
    out: Uint8Array,
    view: DataView,
    start: number,
  ): number {
    let o = start;
    let i = a;
    out[o++] = QUOTE;
    for (;;) {
      // Four bytes at a time while none of them is a quote, a backslash or a control character (SWAR
      // tests: exact for "any byte matches", which is all that is needed).
      while (i + 4 <= b) {
        const x = input.getInt32(i, true);
        const q = x ^ 0x22222222;
        const s = x ^ 0x5c5c5c5c;
        if ((((x - 0x20202020) & ~x) | ((q - 0x01010101) & ~q) | ((s - 0x01010101) & ~s)) & 0x80808080) {
          break;
        }
        view.setInt32(o, x, true);
        i += 4;
        o += 4;
      }
      let byte = 0;
      while (i < b) {
        byte = buf[i] as number;
        if (SPECIAL[byte] !== 0) break;
        out[o++] = byte;
        i++;
      }
      if (i >= b) break;
      out[o++] = BACKSLASH;
      if (byte === QUOTE) {
        out[o++] = QUOTE;
        i += 2;
        continue;
      }
      if (byte === BACKSLASH) out[o++] = BACKSLASH;
      else if (byte === LF) out[o++] = 0x6e;
      else if (byte === CR) out[o++] = 0x72;
      else if (byte === 0x09) out[o++] = 0x74;
      else if (byte === 0x08) out[o++] = 0x62;
      else if (byte === 0x0c) out[o++] = 0x66;
      else {
        out[o++] = 0x75;
        out[o++] = 0x30;
        out[o++] = 0x30;
        out[o++] = HEX.charCodeAt(byte >> 4);
        out[o++] = HEX.charCodeAt(byte & 15);
      }
      i++;
    }
    out[o++] = QUOTE;
    return o;
  }

  /**
   * Checks and writes a typed value `buf[a, b)` (not empty, no quotes) that writeRow could not copy as
   * it is: another spelling, or not a value of its type. Returns the new output position.
   */
  private typed(buf: Uint8Array, a: number, b: number, kind: number, column: number, mark: number): number {
    if ((mark & DOUBLED_QUOTES) !== 0)
      throw this.valueError(column, `${describeValue(buf, a, b)} is not a valid value`);
    if (b - a > MAX_TYPED_BYTES)
      throw this.valueError(column, `${describeValue(buf, a, b)} is too long for this type`);
    const text = decoder.decode(buf.subarray(a, b));
    switch (kind) {
      case Kind.Boolean:
        throw this.valueError(column, `${describeValue(buf, a, b)} is not true or false`);
      case Kind.Integer: {
        const parts = parseDecimal(text);
        const integer = parts === undefined ? undefined : toIntegerText(parts, MAX_INTEGER_DIGITS);
        if (integer !== undefined) return this.writeAscii(integer);
        throw this.valueError(column, `${describeValue(buf, a, b)} is not an integer`);
      }
      case Kind.Number: {
        const normalized = toJsonNumberText(text);
        if (normalized !== undefined) return this.writeAscii(normalized);
        throw this.valueError(column, `${describeValue(buf, a, b)} is not a number`);
      }
      case Kind.DateTime: {
        const result = normalizeDateTime(text, { assumeUtc: false });
        if (result.ok) return this.writeAscii(`"${result.value}"`);
        throw this.valueError(
          column,
          `${describeValue(buf, a, b)} is not a datetime (expected 2024-04-16T19:00:00.000Z)`,
        );
      }
      default:
        throw this.valueError(column, `${describeValue(buf, a, b)} is not a date (expected YYYY-MM-DD)`);
    }
  }

  private writeAscii(text: string): number {
    let out = this.out;
    let o = this.o;
    if (o + text.length > out.length) out = this.grow(o + text.length);
    for (let k = 0; k < text.length; k++) out[o++] = text.charCodeAt(k);
    this.o = o;
    return o;
  }

  private valueError(column: number, problem: string) {
    return this.scanner.valueError(column, this.types[column] as string, problem);
  }
}

/** `'value'` for a message, cut at 64 bytes. */
function describeValue(buf: Uint8Array, a: number, b: number): string {
  const text = decoder.decode(buf.subarray(a, Math.min(b, a + 64)));
  return `'${text}${b - a > 64 ? "…" : ""}'`;
}

/** The digit value of `buf[p]`, or a number above 9 when it is not a digit (callers check `< 10`). */
function digit(buf: Uint8Array, p: number): number {
  return ((buf[p] as number) - 0x30) >>> 0;
}

/**
 * Writes the integer `-?digits(.0*)?` at `buf[a, b)` as its digits without leading zeros (and no
 * minus for zero) at `out[o]`; returns the new output position, or -1 for any other spelling.
 */
function writePlainInteger(buf: Uint8Array, a: number, b: number, out: Uint8Array, o: number): number {
  let p = a;
  if (buf[p] === 0x2d) p++;
  const digitsStart = p;
  while (p < b && digit(buf, p) < 10) p++;
  const digitsEnd = p;
  if (digitsEnd === digitsStart || digitsEnd - digitsStart > MAX_INTEGER_DIGITS) return -1;
  if (p < b && buf[p] === 0x2e) {
    p++;
    while (p < b && buf[p] === 0x30) p++;
  }
  if (p !== b) return -1;
  let d = digitsStart;
  while (d < digitsEnd - 1 && buf[d] === 0x30) d++;
  if (buf[a] === 0x2d && !(d === digitsEnd - 1 && buf[d] === 0x30)) out[o++] = 0x2d;
  while (d < digitsEnd) out[o++] = buf[d++] as number;
  return o;
}

/** `YYYY-MM-DD` with a real calendar day; `buf[a, a + 10)` must be in range. */
function isDate(buf: Uint8Array, a: number): boolean {
  if (buf[a + 4] !== 0x2d || buf[a + 7] !== 0x2d) return false;
  const y1 = digit(buf, a);
  const y2 = digit(buf, a + 1);
  const y3 = digit(buf, a + 2);
  const y4 = digit(buf, a + 3);
  const m1 = digit(buf, a + 5);
  const m2 = digit(buf, a + 6);
  const d1 = digit(buf, a + 8);
  const d2 = digit(buf, a + 9);
  if (y1 > 9 || y2 > 9 || y3 > 9 || y4 > 9 || m1 > 9 || m2 > 9 || d1 > 9 || d2 > 9) return false;
  const month = m1 * 10 + m2;
  const day = d1 * 10 + d2;
  if (day === 0 || month === 0 || month > 12) return false;
  if (day <= 28) return true;
  return isValidYmd(y1 * 1000 + y2 * 100 + y3 * 10 + y4, month, day);
}

/** `YYYY-MM-DDTHH:mm:ss.SSSZ`, the form Bulk writes and the connector keeps; `buf[a, a + 24)` in range. */
function isCanonicalDateTime(buf: Uint8Array, a: number): boolean {
  if (buf[a + 10] !== 0x54 || buf[a + 13] !== 0x3a || buf[a + 16] !== 0x3a || buf[a + 19] !== 0x2e) {
    return false;
  }
  if (buf[a + 23] !== 0x5a || !isDate(buf, a)) return false;
  const h1 = digit(buf, a + 11);
  const h2 = digit(buf, a + 12);
  const n1 = digit(buf, a + 14);
  const n2 = digit(buf, a + 15);
  const s1 = digit(buf, a + 17);
  const s2 = digit(buf, a + 18);
  if (
    h2 > 9 ||
    n2 > 9 ||
    s2 > 9 ||
    digit(buf, a + 20) > 9 ||
    digit(buf, a + 21) > 9 ||
    digit(buf, a + 22) > 9
  ) {
    return false;
  }
  return h1 * 10 + h2 < 24 && n1 < 6 && s1 < 6;
}

/** JSON number grammar: -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?; `buf[a, b)` in range. */
function isJsonNumberBytes(buf: Uint8Array, a: number, b: number): boolean {
  let p = a;
  if (buf[p] === 0x2d) p++;
  if (p >= b) return false;
  if (buf[p] === 0x30) p++;
  else if (digit(buf, p) < 10) while (p < b && digit(buf, p) < 10) p++;
  else return false;
  if (p < b && buf[p] === 0x2e) {
    p++;
    if (p >= b || digit(buf, p) > 9) return false;
    while (p < b && digit(buf, p) < 10) p++;
  }
  if (p < b && (buf[p] === 0x65 || buf[p] === 0x45)) {
    p++;
    if (p < b && (buf[p] === 0x2b || buf[p] === 0x2d)) p++;
    if (p >= b || digit(buf, p) > 9) return false;
    while (p < b && digit(buf, p) < 10) p++;
  }
  return p === b;
}
