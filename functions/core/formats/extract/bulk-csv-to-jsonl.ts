// functions/core/formats/extract/: Salesforce → lake: Bulk CSV and REST records to typed Parquet row groups or JSON lines
/**
 * Bulk API 2.0 query results (CSV) → typed JSON lines, on bytes.
 *
 * This is the extract hot path, so it never makes a JS string per field or an object per row: it walks
 * each page byte by byte, copies field bytes straight into a growable output buffer (escaping only what
 * JSON requires), and writes pre-encoded `{"Name":` key prefixes. Typed values (numbers, booleans,
 * datetimes) are checked and copied in place; only unusual spellings take a slower string path.
 *
 * A row split across chunks is carried over whole and re-parsed once more bytes arrive; a re-parse only
 * happens when the carried bytes have doubled, so a huge row fed in tiny chunks stays linear.
 */
import { ConfigurationError, DataError } from "../../../errors";
import { isValidYmd, normalizeDateTime } from "../datetime-text";
import { parseDecimal, toIntegerText, toJsonNumberText } from "../decimal-text";
import { findInvalidUtf8, isValidUtf8 } from "./utf8";

export interface JsonlColumn {
  name: string;
  sfType: string;
}

const Kind = {
  String: 0,
  Boolean: 1,
  Integer: 2,
  Number: 3,
  DateTime: 4,
  Date: 5,
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
const COMMA = 0x2c;
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
const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Longest integer text accepted for int/long (a long has 19 digits; the rest is headroom for errors). */
const MAX_INTEGER_DIGITS = 40;
/** Typed values longer than this cannot be valid and are reported instead of copied. */
const MAX_TYPED_BYTES = 400;

/** What the header reader returns while the header row is not complete in the buffer yet. */
const INCOMPLETE = -1;

export class BulkCsvToJsonl {
  private readonly names: string[];
  private readonly types: string[];
  private readonly kinds: Uint8Array;
  /**
   * Key prefixes (`{"A":` then `,"B":` …) as little-endian 32-bit words, written four bytes at a time
   * (the padding past a prefix is overwritten by the value that follows).
   */
  private readonly prefixWords: Int32Array;
  private readonly wordStart: Int32Array;
  private readonly wordEnd: Int32Array;
  private readonly prefixLength: Int32Array;
  private readonly maxPrefix: number;

  private out: Uint8Array = EMPTY;
  private o = 0;
  /** Output bytes per input byte to plan buffers with (JSON keys make lines about twice the CSV). */
  private expansion = 3;

  /** Bytes of the current page not parsed yet (a partial row), in `pending[0, pendingLength)`. */
  private pending: Uint8Array = new Uint8Array(1 << 12);
  private pendingLength = 0;
  /** Re-parse the carried bytes only once there are at least this many. */
  private retryAt = 0;

  private headerPending = true;
  private pageIndex = 0;
  private pageBytes = 0;
  /** Physical line (1-based, header is line 1) where parsing stands in the current page. */
  private line = 1;
  private totalRecords = 0;
  private currentPageRecords = 0;

  constructor(columns: JsonlColumn[]) {
    if (columns.length === 0)
      throw new ConfigurationError("A Bulk result converter needs at least one column");
    this.names = columns.map((c) => c.name);
    this.types = columns.map((c) => c.sfType);
    this.kinds = Uint8Array.from(columns, (c) => KIND_BY_TYPE[c.sfType] ?? Kind.String);
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
    this.maxPrefix = Math.max(...parts.map((p) => p.length)) + 3;
  }

  /** Rows converted so far, over all pages. */
  get records(): number {
    return this.totalRecords;
  }

  /**
   * Rows converted so far in the current page, or in the page just ended until the next push (compare
   * with `Sforce-NumberOfRecords`).
   */
  get pageRecords(): number {
    return this.currentPageRecords;
  }

  /**
   * Feed the next chunk of one result page; returns the JSON lines of rows completed so far (may be
   * empty). The lines are a view of the converter's own buffer, valid until the next `push` or
   * `endPage`: consume or copy them before feeding more.
   */
  push(chunk: Uint8Array): Uint8Array {
    if (chunk.length === 0) return EMPTY;
    if (this.pageBytes === 0) this.currentPageRecords = 0;
    this.pageBytes += chunk.length;
    if (this.pendingLength === 0) {
      const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      this.prepareOut(chunk.length);
      const stop = this.convert(bytes, chunk.length, false);
      this.noteExpansion(stop, this.o);
      this.keep(bytes, stop, chunk.length);
    } else {
      this.appendPending(chunk);
      if (this.pendingLength < this.retryAt) return EMPTY;
      this.prepareOut(this.pendingLength);
      const stop = this.convert(this.pending, this.pendingLength, false);
      this.noteExpansion(stop, this.o);
      this.keep(this.pending, stop, this.pendingLength);
    }
    return this.take();
  }

  /**
   * End of one page: returns the last lines (a view valid until the next `push` or `endPage`, like
   * push's); throws DataError on a truncated page (open quote, partial row).
   */
  endPage(): Uint8Array {
    if (this.pageBytes === 0) this.currentPageRecords = 0;
    try {
      if (this.pendingLength > 0) {
        this.prepareOut(this.pendingLength);
        const stop = this.convert(this.pending, this.pendingLength, true);
        if (stop !== this.pendingLength) {
          throw this.error(`the page ends inside a row (${this.pendingLength - stop} bytes left over)`);
        }
      }
      if (this.headerPending && this.pageBytes > 0) {
        throw this.error("the page has no header row; the result was cut off or is not a Bulk query result");
      }
      return this.take();
    } finally {
      this.pendingLength = 0;
      this.retryAt = 0;
      this.headerPending = true;
      this.pageBytes = 0;
      this.line = 1;
      this.o = 0;
      this.pageIndex++;
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

  /** Makes sure the output buffer can take `inputBytes` of input at the usual expansion without growing. */
  private prepareOut(inputBytes: number): void {
    const expected = Math.ceil(inputBytes * this.expansion) + 4096;
    if (this.out.length - this.o >= expected) return;
    this.grow(this.o + expected);
  }

  private noteExpansion(inputBytes: number, outputBytes: number): void {
    if (inputBytes > 4096) this.expansion = Math.max(this.expansion, (outputBytes / inputBytes) * 1.1);
  }

  /** Keeps `bytes[stop, end)` (a partial row) for the next push. */
  private keep(bytes: Uint8Array, stop: number, end: number): void {
    const rest = end - stop;
    if (rest === 0) {
      this.pendingLength = 0;
      this.retryAt = 0;
      return;
    }
    if (bytes === this.pending) {
      this.pending.copyWithin(0, stop, end);
    } else {
      this.ensurePending(rest);
      this.pending.set(bytes.subarray(stop, end), 0);
    }
    this.pendingLength = rest;
    this.retryAt = rest * 2;
  }

  private appendPending(chunk: Uint8Array): void {
    this.ensurePending(this.pendingLength + chunk.length);
    this.pending.set(chunk, this.pendingLength);
    this.pendingLength += chunk.length;
  }

  private ensurePending(size: number): void {
    if (size <= this.pending.length) return;
    const next = new Uint8Array(Math.max(size, this.pending.length * 2));
    next.set(this.pending.subarray(0, this.pendingLength));
    this.pending = next;
  }

  private grow(minimum: number): Uint8Array {
    const next: Uint8Array = Buffer.allocUnsafe(Math.max(minimum, this.out.length * 2, 1 << 16));
    next.set(this.out.subarray(0, this.o));
    this.out = next;
    return next;
  }

  /**
   * Converts the complete rows in `buf[0, end)`; returns where the first incomplete row starts (end when
   * none). With `final`, the end of the buffer is the end of the page.
   */
  private convert(buf: Uint8Array, end: number, final: boolean): number {
    let i = 0;
    const lineAtStart = this.line;
    if (this.headerPending) {
      i = this.readHeader(buf, end, final);
      if (i === INCOMPLETE) return 0;
    }
    const stop = this.rows(buf, i, end, final);
    if (!isValidUtf8(buf, 0, stop)) this.invalidUtf8(buf, stop, lineAtStart);
    return stop;
  }

  private invalidUtf8(buf: Uint8Array, stop: number, lineAtStart: number): never {
    const bad = findInvalidUtf8(buf, 0, stop);
    let line = lineAtStart;
    for (let k = 0; k < bad; k++) if (buf[k] === LF) line++;
    this.line = line;
    throw this.error("the page is not valid UTF-8 (Bulk query results always are; the download is corrupt)");
  }

  private readHeader(buf: Uint8Array, end: number, final: boolean): number {
    let i = 0;
    if (end >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) i = 3;
    else if (end < 3 && !final && buf[0] === 0xef) return INCOMPLETE;
    const record = readRecordText(buf, i, end, final);
    if (record === undefined) {
      if (final) throw this.error("the page ends inside the header row");
      return INCOMPLETE;
    }
    checkBulkHeader(this.names, record.fields, this.pageIndex);
    this.headerPending = false;
    this.line += record.lines;
    return record.next;
  }

  private rows(buf: Uint8Array, start: number, end: number, final: boolean): number {
    const kinds = this.kinds;
    const ncols = kinds.length;
    const last = ncols - 1;
    const prefixWords = this.prefixWords;
    const wordStart = this.wordStart;
    const wordEnd = this.wordEnd;
    const prefixLength = this.prefixLength;
    const reserve = this.maxPrefix + 16;
    let out = this.out;
    let view = new DataView(out.buffer, out.byteOffset, out.byteLength);
    let viewOf = out;
    const input = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    let o = this.o;
    let line = this.line;
    let i = start;

    while (i < end) {
      const rowIn = i;
      const rowOut = o;
      const rowLine = line;
      let complete = true;

      for (let c = 0; c < ncols; c++) {
        if (o + reserve > out.length) {
          this.o = o;
          out = this.grow(o + reserve);
          view = new DataView(out.buffer, out.byteOffset, out.byteLength);
          viewOf = out;
        }
        for (let w = wordStart[c] as number, we = wordEnd[c] as number, at = o; w < we; w++, at += 4) {
          view.setInt32(at, prefixWords[w] as number, true);
        }
        o += prefixLength[c] as number;
        if (i >= end) {
          if (!final) {
            complete = false;
            break;
          }
          // An empty last field at the very end of a page ("a,b," with no newline).
          if (c === last && i > rowIn && buf[i - 1] === COMMA) {
            out[o++] = 0x6e;
            out[o++] = 0x75;
            out[o++] = 0x6c;
            out[o++] = 0x6c;
            break;
          }
          this.line = line;
          throw this.rowError(rowLine, c, "the page ends inside a row (fewer fields than columns)");
        }

        const kind = kinds[c] as number;
        if (buf[i] === QUOTE) {
          if (kind === Kind.String) {
            // Quoted text: copy until the closing quote, escaping for JSON on the way.
            i++;
            if (buf[i] === QUOTE && (i + 1 < end ? buf[i + 1] !== QUOTE : final)) {
              i++;
              view.setInt32(o, NULL_WORD, true);
              o += 4;
            } else {
              out[o++] = QUOTE;
              for (;;) {
                // Plain bytes copy one for one, so bounding the input index by the room left in the
                // output makes a per-byte capacity check unnecessary.
                const stop = Math.min(end, i + (out.length - 8 - o));
                // Four bytes at a time while none of them is a quote, a backslash or a control
                // character (SWAR tests: exact for "any byte matches", which is all that is needed).
                while (i + 4 <= stop) {
                  const x = input.getInt32(i, true);
                  const q = x ^ 0x22222222;
                  const s = x ^ 0x5c5c5c5c;
                  if (
                    (((x - 0x20202020) & ~x) | ((q - 0x01010101) & ~q) | ((s - 0x01010101) & ~s)) &
                    0x80808080
                  ) {
                    break;
                  }
                  view.setInt32(o, x, true);
                  i += 4;
                  o += 4;
                }
                let b = 0;
                while (i < stop) {
                  b = buf[i] as number;
                  if (SPECIAL[b] !== 0) break;
                  out[o++] = b;
                  i++;
                }
                if (i >= end) {
                  complete = false;
                  break;
                }
                if (i >= stop) {
                  this.o = o;
                  out = this.grow(o + 64);
                  if (viewOf !== out) {
                    view = new DataView(out.buffer, out.byteOffset, out.byteLength);
                    viewOf = out;
                  }
                  continue;
                }
                if (b === QUOTE) {
                  if (i + 1 >= end) {
                    if (!final) {
                      complete = false;
                      break;
                    }
                    i++;
                    break;
                  }
                  if (buf[i + 1] === QUOTE) {
                    out[o++] = BACKSLASH;
                    out[o++] = QUOTE;
                    i += 2;
                    continue;
                  }
                  i++;
                  break;
                }
                out[o++] = BACKSLASH;
                if (b === BACKSLASH) out[o++] = BACKSLASH;
                else if (b === LF) {
                  out[o++] = 0x6e;
                  line++;
                } else if (b === CR) out[o++] = 0x72;
                else if (b === 0x09) out[o++] = 0x74;
                else if (b === 0x08) out[o++] = 0x62;
                else if (b === 0x0c) out[o++] = 0x66;
                else {
                  out[o++] = 0x75;
                  out[o++] = 0x30;
                  out[o++] = 0x30;
                  out[o++] = HEX.charCodeAt(b >> 4);
                  out[o++] = HEX.charCodeAt(b & 15);
                }
                i++;
              }
              if (!complete) break;
              out[o++] = QUOTE;
            }
          } else {
            // Quoted typed value: find its end, then check and copy it.
            const a = i + 1;
            let q = a;
            while (q < end && buf[q] !== QUOTE) q++;
            if (q >= end || (q + 1 >= end && !final)) {
              if (q >= end && final) {
                this.line = line;
                throw this.rowError(rowLine, c, "the page ends inside a quoted field");
              }
              complete = false;
              break;
            }
            if (q + 1 < end && buf[q + 1] === QUOTE) {
              this.line = line;
              throw this.rowError(rowLine, c, `${this.describeValue(buf, a, end)} is not a valid value`);
            }
            i = q + 1;
            // The usual values are copied here; anything else goes through typed() and its checks.
            const n = q - a;
            if (o + 32 > out.length) {
              this.o = o;
              out = this.grow(o + 32);
              view = new DataView(out.buffer, out.byteOffset, out.byteLength);
              viewOf = out;
            }
            if (n === 0) {
              view.setInt32(o, NULL_WORD, true);
              o += 4;
            } else if (kind === Kind.DateTime && n === 24 && isCanonicalDateTime(buf, a)) {
              out[o++] = QUOTE;
              for (let k = 0; k < 24; k += 4) view.setInt32(o + k, input.getInt32(a + k, true), true);
              o += 24;
              out[o++] = QUOTE;
            } else if (kind === Kind.Boolean && n === 4 && input.getInt32(a, true) === TRUE_WORD) {
              view.setInt32(o, TRUE_WORD, true);
              o += 4;
            } else if (kind === Kind.Date && n === 10 && isDate(buf, a)) {
              out[o++] = QUOTE;
              view.setInt32(o, input.getInt32(a, true), true);
              view.setInt32(o + 4, input.getInt32(a + 4, true), true);
              out[o + 8] = buf[a + 8] as number;
              out[o + 9] = buf[a + 9] as number;
              o += 10;
              out[o++] = QUOTE;
            } else {
              this.o = o;
              o = this.typed(buf, a, q, kind, c, rowLine, line);
              out = this.out;
              if (viewOf !== out) {
                view = new DataView(out.buffer, out.byteOffset, out.byteLength);
                viewOf = out;
              }
            }
          }
        } else {
          // Unquoted field (Bulk quotes every field, but other writers may not).
          const a = i;
          while (i < end) {
            const b = buf[i] as number;
            if (b === COMMA || b === LF || b === CR) break;
            if (b === QUOTE) {
              this.line = line;
              throw this.rowError(rowLine, c, "a quote in the middle of an unquoted field");
            }
            i++;
          }
          if (i >= end && !final) {
            complete = false;
            break;
          }
          this.o = o;
          if (kind === Kind.String) o = this.unquotedString(buf, a, i);
          else o = this.typed(buf, a, i, kind, c, rowLine, line);
          out = this.out;
          if (viewOf !== out) {
            view = new DataView(out.buffer, out.byteOffset, out.byteLength);
            viewOf = out;
          }
        }

        // After a field: a comma, or the end of the row.
        if (i >= end) {
          if (!final) {
            complete = false;
            break;
          }
          if (c !== last) {
            this.line = line;
            throw this.rowError(rowLine, c, `the page ends inside a row (after ${c + 1} of ${ncols} fields)`);
          }
          break;
        }
        const sep = buf[i];
        if (c !== last) {
          if (sep === COMMA) {
            i++;
            continue;
          }
          this.line = line;
          if (sep === LF || sep === CR) {
            throw this.rowError(rowLine, c, `the row has ${c + 1} fields, expected ${ncols}`);
          }
          throw this.rowError(rowLine, c, "unexpected character after a closing quote");
        }
        if (sep === LF) {
          i++;
          line++;
        } else if (sep === CR) {
          if (i + 1 >= end) {
            if (!final) {
              complete = false;
              break;
            }
            i++;
          } else if (buf[i + 1] === LF) {
            i += 2;
          } else {
            i++;
          }
          line++;
        } else {
          this.line = line;
          if (sep === COMMA) throw this.rowError(rowLine, c, `the row has more than ${ncols} fields`);
          throw this.rowError(rowLine, c, "unexpected character after a closing quote");
        }
      }

      if (!complete) {
        this.o = rowOut;
        this.line = rowLine;
        return rowIn;
      }
      if (o + 2 > out.length) {
        this.o = o;
        out = this.grow(o + 2);
        if (viewOf !== out) {
          view = new DataView(out.buffer, out.byteOffset, out.byteLength);
          viewOf = out;
        }
      }
      out[o++] = 0x7d;
      out[o++] = LF;
      this.totalRecords++;
      this.currentPageRecords++;
    }
    this.o = o;
    this.line = line;
    return i;
  }

  /** Writes an unquoted text field `buf[a, b)`; empty is null. Returns the new output position. */
  private unquotedString(buf: Uint8Array, a: number, b: number): number {
    if (a === b) return this.writeAscii("null");
    const text = decoder.decode(buf.subarray(a, b));
    return this.writeBytes(encoder.encode(JSON.stringify(text)));
  }

  /** Checks and writes a typed value `buf[a, b)` (quotes already removed). Returns the new output position. */
  private typed(
    buf: Uint8Array,
    a: number,
    b: number,
    kind: number,
    column: number,
    rowLine: number,
    line: number,
  ): number {
    const n = b - a;
    if (n === 0) {
      let o = this.o;
      const out = o + 4 <= this.out.length ? this.out : this.grow(o + 4);
      out[o++] = 0x6e;
      out[o++] = 0x75;
      out[o++] = 0x6c;
      out[o++] = 0x6c;
      this.o = o;
      return o;
    }
    if (n > MAX_TYPED_BYTES) {
      this.line = line;
      throw this.rowError(rowLine, column, `${this.describeValue(buf, a, b)} is too long for this type`);
    }
    let out = this.out;
    let o = this.o;
    if (o + 2 * n + 16 > out.length) out = this.grow(o + 2 * n + 16);
    switch (kind) {
      case Kind.Boolean: {
        if (n === 4 && buf[a] === 0x74 && buf[a + 1] === 0x72 && buf[a + 2] === 0x75 && buf[a + 3] === 0x65) {
          return this.writeAscii("true");
        }
        if (
          n === 5 &&
          buf[a] === 0x66 &&
          buf[a + 1] === 0x61 &&
          buf[a + 2] === 0x6c &&
          buf[a + 3] === 0x73 &&
          buf[a + 4] === 0x65
        ) {
          return this.writeAscii("false");
        }
        break;
      }
      case Kind.Integer: {
        // Fast path: -?digits(.0*)? keeps the digits as written, without leading zeros.
        let p = a;
        if (buf[p] === 0x2d) p++;
        const digitsStart = p;
        while (p < b && ((buf[p] as number) - 0x30) >>> 0 < 10) p++;
        const digitsEnd = p;
        if (digitsEnd > digitsStart && digitsEnd - digitsStart <= MAX_INTEGER_DIGITS) {
          if (p < b && buf[p] === 0x2e) {
            p++;
            while (p < b && buf[p] === 0x30) p++;
          }
          if (p === b) {
            let d = digitsStart;
            while (d < digitsEnd - 1 && buf[d] === 0x30) d++;
            const zero = d === digitsEnd - 1 && buf[d] === 0x30;
            if (buf[a] === 0x2d && !zero) out[o++] = 0x2d;
            while (d < digitsEnd) out[o++] = buf[d++] as number;
            this.o = o;
            return o;
          }
        }
        const text = decoder.decode(buf.subarray(a, b));
        const parts = parseDecimal(text);
        const integer = parts === undefined ? undefined : toIntegerText(parts, MAX_INTEGER_DIGITS);
        if (integer !== undefined) return this.writeAscii(integer);
        this.line = line;
        throw this.rowError(rowLine, column, `${this.describeValue(buf, a, b)} is not an integer`);
      }
      case Kind.Number: {
        if (isJsonNumberBytes(buf, a, b)) {
          for (let p = a; p < b; p++) out[o++] = buf[p] as number;
          this.o = o;
          return o;
        }
        const normalized = toJsonNumberText(decoder.decode(buf.subarray(a, b)));
        if (normalized !== undefined) return this.writeAscii(normalized);
        this.line = line;
        throw this.rowError(rowLine, column, `${this.describeValue(buf, a, b)} is not a number`);
      }
      case Kind.DateTime: {
        if (n === 24 && isCanonicalDateTime(buf, a)) {
          out[o++] = QUOTE;
          for (let p = a; p < b; p++) out[o++] = buf[p] as number;
          out[o++] = QUOTE;
          this.o = o;
          return o;
        }
        const result = normalizeDateTime(decoder.decode(buf.subarray(a, b)), { assumeUtc: false });
        if (result.ok) return this.writeAscii(`"${result.value}"`);
        this.line = line;
        throw this.rowError(
          rowLine,
          column,
          `${this.describeValue(buf, a, b)} is not a datetime (expected 2024-04-16T19:00:00.000Z)`,
        );
      }
      case Kind.Date: {
        if (n === 10 && isDate(buf, a)) {
          out[o++] = QUOTE;
          for (let p = a; p < b; p++) out[o++] = buf[p] as number;
          out[o++] = QUOTE;
          this.o = o;
          return o;
        }
        this.line = line;
        throw this.rowError(
          rowLine,
          column,
          `${this.describeValue(buf, a, b)} is not a date (expected YYYY-MM-DD)`,
        );
      }
    }
    this.line = line;
    throw this.rowError(rowLine, column, `${this.describeValue(buf, a, b)} is not true or false`);
  }

  private writeAscii(text: string): number {
    let out = this.out;
    let o = this.o;
    if (o + text.length > out.length) out = this.grow(o + text.length);
    for (let k = 0; k < text.length; k++) out[o++] = text.charCodeAt(k);
    this.o = o;
    return o;
  }

  private writeBytes(bytes: Uint8Array): number {
    let out = this.out;
    if (this.o + bytes.length > out.length) out = this.grow(this.o + bytes.length);
    out.set(bytes, this.o);
    this.o += bytes.length;
    return this.o;
  }

  private describeValue(buf: Uint8Array, a: number, b: number): string {
    const text = decoder.decode(buf.subarray(a, Math.min(b, a + 64)));
    return `'${text}${b - a > 64 ? "…" : ""}'`;
  }

  private rowError(rowLine: number, column: number, what: string): DataError {
    const name = this.names[column] ?? "";
    return new DataError(
      `Bulk result page ${this.pageIndex + 1}, record ${this.currentPageRecords + 1} (line ${rowLine}), ` +
        `column ${name} (${this.types[column]}): ${what}`,
      { line: rowLine, column: name, field: name },
    );
  }

  private error(what: string): DataError {
    return new DataError(`Bulk result page ${this.pageIndex + 1}, line ${this.line}: ${what}`, {
      line: this.line,
    });
  }
}

/** The digit value of `buf[p]`, or a number above 9 when it is not a digit (callers check `< 10`). */
function digit(buf: Uint8Array, p: number): number {
  return ((buf[p] as number) - 0x30) >>> 0;
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

/** Throws DataError unless a Bulk page's header row names exactly the query's columns, in order. */
export function checkBulkHeader(expected: string[], got: string[], pageIndex: number): void {
  for (let c = 0; c < Math.max(expected.length, got.length); c++) {
    if (got[c] !== expected[c]) {
      const what =
        got[c] === undefined
          ? `column ${c + 1} "${expected[c]}" is missing`
          : expected[c] === undefined
            ? `unexpected extra column ${c + 1} "${got[c]}"`
            : `column ${c + 1} is "${got[c]}", expected "${expected[c]}"`;
      throw new DataError(
        `Bulk result page ${pageIndex + 1}: the header row does not match the query columns: ${what} ` +
          `(expected ${expected.join(",")}); the catalog and the query are out of step`,
        { line: 1, column: c + 1 },
      );
    }
  }
}

/**
 * One CSV record as strings (the header row). Returns undefined when the record is not complete in
 * `buf[i, end)` (and `final` is false, or the quote never closes).
 */
export function readRecordText(
  buf: Uint8Array,
  start: number,
  end: number,
  final: boolean,
): { fields: string[]; next: number; lines: number } | undefined {
  const fields: string[] = [];
  let i = start;
  let lines = 0;
  for (;;) {
    let text: string;
    if (i < end && buf[i] === QUOTE) {
      const parts: Uint8Array[] = [];
      let a = i + 1;
      i = a;
      for (;;) {
        while (i < end && buf[i] !== QUOTE) {
          if (buf[i] === LF) lines++;
          i++;
        }
        if (i >= end) return undefined;
        if (i + 1 >= end && !final) return undefined;
        if (buf[i + 1] === QUOTE && i + 1 < end) {
          parts.push(buf.subarray(a, i + 1));
          i += 2;
          a = i;
          continue;
        }
        parts.push(buf.subarray(a, i));
        i++;
        break;
      }
      text = parts.map((p) => decoder.decode(p)).join("");
    } else {
      const a = i;
      while (i < end && buf[i] !== COMMA && buf[i] !== LF && buf[i] !== CR) i++;
      text = decoder.decode(buf.subarray(a, i));
    }
    fields.push(text);
    if (i >= end) {
      if (!final) return undefined;
      return { fields, next: i, lines: lines + 1 };
    }
    if (buf[i] === COMMA) {
      i++;
      continue;
    }
    if (buf[i] === CR) {
      if (i + 1 >= end && !final) return undefined;
      i += buf[i + 1] === LF ? 2 : 1;
      return { fields, next: i, lines: lines + 1 };
    }
    if (buf[i] === LF) return { fields, next: i + 1, lines: lines + 1 };
    // A stray character after a closing quote: keep it in the name so the mismatch message shows it.
    const a = i;
    while (i < end && buf[i] !== COMMA && buf[i] !== LF && buf[i] !== CR) i++;
    fields[fields.length - 1] += decoder.decode(buf.subarray(a, i));
    if (i >= end && !final) return undefined;
    if (i < end && buf[i] === COMMA) i++;
    else {
      if (i < end) i += buf[i] === CR && buf[i + 1] === LF ? 2 : 1;
      return { fields, next: i, lines: lines + 1 };
    }
  }
}
