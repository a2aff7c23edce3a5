/**
 * Bulk API 2.0 query result pages (CSV) → rows of located fields, on bytes: the one CSV scanner both
 * extract writers read through (BulkCsvToJsonl, BulkCsvToColumns).
 *
 * The scanner keeps the page rules: the header row checked against the query's columns, UTF-8
 * checked, a row split across chunks carried over whole, a truncated or malformed page refused with
 * its line. Each complete row is located (quotes and doubled quotes handled) into `starts`, `ends`
 * and `marks`, one entry per column, and handed to the writer, which reads the field bytes from
 * there: nothing is made per field or per row.
 *
 * A row split across chunks is re-parsed once more bytes arrive, and only when the carried bytes have
 * doubled, so a huge row fed in tiny chunks stays linear.
 */
import { type BadValueError, ConfigurationError, DataError } from "../../../errors";
import { badValue } from "./bad-value";
import { findInvalidUtf8, isValidUtf8 } from "./utf8";

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;
const BACKSLASH = 0x5c;

/** A field's mark bit: doubled quotes inside, to collapse. */
export const DOUBLED_QUOTES = 1;
/** A field's mark bit: control characters or backslashes inside (bytes a JSON string escapes). */
export const ESCAPES = 2;

const decoder = new TextDecoder();

/** What takes the scanner's rows. */
export interface BulkRowWriter {
  /**
   * One complete row: field `c` is `buf[starts[c], ends[c])` without its quotes, `marks[c]` says
   * whether it holds doubled quotes (still to collapse) or bytes JSON escapes; an empty field (null
   * in Bulk) has start = end.
   * `view` reads `buf` a word at a time. Throws the scanner's `valueError` for a value that does not
   * fit its column.
   */
  writeRow(buf: Uint8Array, view: DataView): void;
}

export class BulkCsvScanner {
  /** Where each field of the row being written starts and ends in the buffer given to writeRow. */
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  /** What each field holds besides plain text: DOUBLED_QUOTES, ESCAPES (bits), or 0. */
  readonly marks: Uint8Array;

  /** Line breaks inside the quoted fields of the row locateRow found last. */
  private rowBreaks = 0;
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
  /** The Id column's index (-1 without one), for messages; the buffer of the rows being written. */
  private readonly idColumn: number;
  private rowBuffer: Uint8Array = new Uint8Array(0);

  /**
   * @param object  named in error messages
   * @param names   the query's columns, in order (the header row must name exactly these)
   * @param writer  takes each complete row
   */
  constructor(
    private readonly object: string,
    private readonly names: readonly string[],
    private readonly writer: BulkRowWriter,
  ) {
    if (names.length === 0) throw new ConfigurationError("A Bulk result converter needs at least one column");
    this.starts = new Int32Array(names.length);
    this.ends = new Int32Array(names.length);
    this.marks = new Uint8Array(names.length);
    this.idColumn = names.indexOf("Id");
  }

  /** Rows written so far, over all pages. */
  get records(): number {
    return this.totalRecords;
  }

  /**
   * Rows written so far in the current page, or in the page just ended until the next push (compare
   * with `Sforce-NumberOfRecords`).
   */
  get pageRecords(): number {
    return this.currentPageRecords;
  }

  /** Feeds the next chunk of one result page: its complete rows go to the writer. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    if (this.pageBytes === 0) this.currentPageRecords = 0;
    this.pageBytes += chunk.length;
    if (this.pendingLength === 0) {
      // A plain Uint8Array view whatever the chunk is (a Buffer, say), so the hot loops see one kind
      // of array: a second one makes V8 deoptimize them.
      const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      const stop = this.convert(bytes, bytes.length, false);
      this.keep(bytes, stop, bytes.length);
    } else {
      this.appendPending(chunk);
      if (this.pendingLength < this.retryAt) return;
      const stop = this.convert(this.pending, this.pendingLength, false);
      this.keep(this.pending, stop, this.pendingLength);
    }
  }

  /** End of one page: its last row goes to the writer; throws DataError on a truncated page. */
  endPage(): void {
    if (this.pageBytes === 0) this.currentPageRecords = 0;
    try {
      if (this.pendingLength > 0) {
        const stop = this.convert(this.pending, this.pendingLength, true);
        if (stop !== this.pendingLength) {
          throw this.error(`the page ends inside a row (${this.pendingLength - stop} bytes left over)`);
        }
      }
      if (this.headerPending && this.pageBytes > 0) {
        throw this.error("the page has no header row; the result was cut off or is not a Bulk query result");
      }
    } finally {
      this.pendingLength = 0;
      this.retryAt = 0;
      this.headerPending = true;
      this.pageBytes = 0;
      this.line = 1;
      this.pageIndex++;
    }
  }

  /**
   * The DataError for a value of the row being written that its column cannot hold: names the object,
   * page, record and its Id, line and field, and says what to do. `type` describes the column's type,
   * `problem` what is wrong with the value (showing it).
   */
  valueError(column: number, type: string, problem: string): BadValueError {
    const id = this.idColumn;
    const buf = this.rowBuffer;
    return badValue(
      {
        object: this.object,
        where: this.place(),
        record: id < 0 ? undefined : decoder.decode(buf.subarray(this.starts[id], this.ends[id])),
        field: this.names[column] ?? "",
        type,
        line: this.line,
      },
      problem,
    );
  }

  /** Keeps `bytes[stop, end)` (a partial row) for the next push. */
  private keep(bytes: Uint8Array, stop: number, end: number): void {
    const rest = end - stop;
    if (rest === 0) {
      this.pendingLength = 0;
      this.retryAt = 0;
      return;
    }
    if (bytes === this.pending) this.pending.copyWithin(0, stop, end);
    else {
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

  /**
   * Writes the complete rows of `buf[0, end)`; returns where the first incomplete row starts (end when
   * none). With `final`, the end of the buffer is the end of the page.
   */
  private convert(buf: Uint8Array, end: number, final: boolean): number {
    let i = 0;
    const lineAtStart = this.line;
    if (this.headerPending) {
      if (end >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) i = 3;
      else if (end < 3 && !final && buf[0] === 0xef) return 0;
      const record = readRecordText(buf, i, end, final);
      if (record === undefined) {
        if (final) throw this.error("the page ends inside the header row");
        return 0;
      }
      checkBulkHeader(this.names, record.fields, this.pageIndex);
      this.headerPending = false;
      this.line += record.lines;
      i = record.next;
    }
    const stop = this.rows(buf, i, end, final);
    // Checked after the rows are written: a bad byte fails the whole part, whose output is dropped.
    if (!isValidUtf8(buf, 0, stop)) {
      const bad = findInvalidUtf8(buf, 0, stop);
      let line = lineAtStart;
      for (let k = 0; k < bad; k++) if (buf[k] === LF) line++;
      this.line = line;
      throw this.error(
        "the page is not valid UTF-8 (Bulk query results always are; the download is corrupt)",
      );
    }
    return stop;
  }

  /** Writes the complete rows of `buf[start, end)`; returns where the first incomplete row starts. */
  private rows(buf: Uint8Array, start: number, end: number, final: boolean): number {
    const writer = this.writer;
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.rowBuffer = buf;
    let i = start;
    while (i < end) {
      const next = this.locateRow(buf, view, i, end, final);
      if (next < 0) break;
      writer.writeRow(buf, view);
      this.totalRecords++;
      this.currentPageRecords++;
      // Lines for messages: the row's line breaks inside quoted text, and its own.
      this.line += this.rowBreaks + 1;
      i = next;
    }
    return i;
  }

  /**
   * Locates the fields of the row at `i` into starts/ends/escaped; returns where the next row starts,
   * or -1 when the row is not complete in `buf[i, end)`. Throws DataError for a malformed row.
   */
  private locateRow(buf: Uint8Array, view: DataView, i: number, end: number, final: boolean): number {
    const starts = this.starts;
    const ends = this.ends;
    const marks = this.marks;
    const ncols = starts.length;
    const last = ncols - 1;
    let breaks = 0;
    for (let c = 0; c < ncols; c++) {
      if (i >= end) {
        if (!final) return -1;
        // An empty last field at the very end of a page ("a,b," with no newline).
        if (c === last && buf[i - 1] === COMMA) {
          starts[c] = i;
          ends[c] = i;
          marks[c] = 0;
          this.rowBreaks = breaks;
          return i;
        }
        throw this.fieldError(c, "the page ends inside a row (fewer fields than columns)");
      }
      if (buf[i] === QUOTE) {
        const a = i + 1;
        let q = a;
        let mark = 0;
        scan: for (;;) {
          // Four bytes at a time while none is a quote, a control character or a backslash (SWAR
          // tests: exact for "some byte matches"), else those four one by one.
          if (q + 4 <= end) {
            const x = view.getInt32(q, true);
            const y = x ^ 0x22222222;
            const z = x ^ 0x5c5c5c5c;
            if (
              !((((x - 0x20202020) & ~x) | ((y - 0x01010101) & ~y) | ((z - 0x01010101) & ~z)) & 0x80808080)
            ) {
              q += 4;
              continue;
            }
          }
          for (const stop = Math.min(q + 4, end); q < stop; q++) {
            const b = buf[q] as number;
            if (b === QUOTE) {
              if (q + 1 >= end) {
                if (!final) return -1;
                break scan;
              }
              if (buf[q + 1] !== QUOTE) break scan;
              mark |= DOUBLED_QUOTES;
              q += 2;
              continue scan;
            }
            if (b < 0x20 || b === BACKSLASH) {
              mark |= ESCAPES;
              if (b === LF) breaks++;
            }
          }
          if (q >= end) {
            if (!final) return -1;
            throw this.fieldError(c, "the page ends inside a quoted field");
          }
        }
        starts[c] = a;
        ends[c] = q;
        marks[c] = mark;
        i = q + 1;
      } else {
        // Unquoted (Bulk quotes every field, but other writers may not).
        const a = i;
        let mark = 0;
        while (i < end) {
          const b = buf[i] as number;
          if (b === COMMA || b === LF || b === CR) break;
          if (b === QUOTE) throw this.fieldError(c, "a quote in the middle of an unquoted field");
          if (b < 0x20 || b === BACKSLASH) mark = ESCAPES;
          i++;
        }
        if (i >= end && !final) return -1;
        starts[c] = a;
        ends[c] = i;
        marks[c] = mark;
      }
      // After a field: a comma, or the end of the row.
      if (i >= end) {
        if (!final) return -1;
        if (c !== last)
          throw this.fieldError(c, `the page ends inside a row (after ${c + 1} of ${ncols} fields)`);
        this.rowBreaks = breaks;
        return i;
      }
      const sep = buf[i];
      if (c !== last) {
        if (sep === COMMA) {
          i++;
          continue;
        }
        if (sep === LF || sep === CR)
          throw this.fieldError(c, `the row has ${c + 1} fields, expected ${ncols}`);
        throw this.fieldError(c, "unexpected character after a closing quote");
      }
      this.rowBreaks = breaks;
      if (sep === LF) return i + 1;
      if (sep === CR) {
        if (i + 1 >= end) return final ? i + 1 : -1;
        return buf[i + 1] === LF ? i + 2 : i + 1;
      }
      if (sep === COMMA) throw this.fieldError(c, `the row has more than ${ncols} fields`);
      throw this.fieldError(c, "unexpected character after a closing quote");
    }
    return i;
  }

  /** `Bulk result page P, record R (line L)`: the row being read. */
  private place(): string {
    return `Bulk result page ${this.pageIndex + 1}, record ${this.currentPageRecords + 1} (line ${this.line})`;
  }

  private fieldError(column: number, what: string): DataError {
    const name = this.names[column] ?? "";
    const prefix = this.object === "" ? "" : `${this.object}: `;
    return new DataError(`${prefix}${this.place()}, field ${name}: ${what}`, this.details(name));
  }

  private details(field: string): { line: number; column: string; field: string; object?: string } {
    return {
      line: this.line,
      column: field,
      field,
      ...(this.object === "" ? {} : { object: this.object }),
    };
  }

  private error(what: string): DataError {
    const prefix = this.object === "" ? "" : `${this.object}: `;
    return new DataError(`${prefix}Bulk result page ${this.pageIndex + 1}, line ${this.line}: ${what}`, {
      line: this.line,
    });
  }
}

/** Throws DataError unless a Bulk page's header row names exactly the query's columns, in order. */
export function checkBulkHeader(expected: readonly string[], got: string[], pageIndex: number): void {
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
