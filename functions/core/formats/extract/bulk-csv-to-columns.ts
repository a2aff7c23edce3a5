/**
 * Bulk API 2.0 query results (CSV) → a LakeBatch (typed columns for a Parquet row group), on bytes.
 *
 * The sibling of BulkCsvToJsonl for Parquet parts, with the same page rules (header row checked against
 * the query's columns, UTF-8 checked, a row split across chunks carried over whole, a truncated page
 * refused): each field is located (quotes and doubled quotes handled) and handed to its column as
 * bytes, which checks and stores it. Nothing is made per field but the column's stored value.
 */
import { ConfigurationError, DataError } from "../../../errors";
import type { LakeColumn } from "../../lake/lake-names";
import { checkBulkHeader, readRecordText } from "./bulk-csv-to-jsonl";
import type { LakeBatch } from "./lake-batch";
import { findInvalidUtf8, isValidUtf8 } from "./utf8";

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

export class BulkCsvToColumns {
  private readonly names: string[];
  private readonly starts: Int32Array;
  private readonly ends: Int32Array;
  private readonly escaped: Uint8Array;
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

  /**
   * @param object  named in error messages
   * @param batch   where rows go; the caller writes it out as a row group and resets it between pushes
   */
  constructor(
    private readonly object: string,
    columns: LakeColumn[],
    private batch: LakeBatch,
  ) {
    if (columns.length === 0)
      throw new ConfigurationError("A Bulk result converter needs at least one column");
    this.names = columns.map((column) => column.field);
    this.starts = new Int32Array(columns.length);
    this.ends = new Int32Array(columns.length);
    this.escaped = new Uint8Array(columns.length);
  }

  /** Rows converted so far, over all pages. */
  get records(): number {
    return this.totalRecords;
  }

  /** Rows of the current page so far (or of the page just ended, until the next push). */
  get pageRecords(): number {
    return this.currentPageRecords;
  }

  /** Feeds the next chunk of one result page: its complete rows go into the batch. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    if (this.pageBytes === 0) this.currentPageRecords = 0;
    this.pageBytes += chunk.length;
    if (this.pendingLength === 0) {
      const stop = this.convert(chunk, chunk.length, false);
      this.keep(chunk, stop, chunk.length);
    } else {
      this.appendPending(chunk);
      if (this.pendingLength < this.retryAt) return;
      const stop = this.convert(this.pending, this.pendingLength, false);
      this.keep(this.pending, stop, this.pendingLength);
    }
  }

  /** End of one page: its last row goes into the batch; throws DataError on a truncated page. */
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

  /** Converts the complete rows of `buf[0, end)`; returns where the first incomplete row starts. */
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
    // Checked after the rows are stored: a bad byte fails the whole part, whose batch is dropped.
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

  /**
   * Locates the fields of the row at `i` into starts/ends/escaped; returns where the next row starts,
   * or -1 when the row is not complete in `buf[i, end)`. Throws DataError for a malformed row.
   */
  private locateRow(buf: Uint8Array, i: number, end: number, final: boolean): number {
    const ncols = this.names.length;
    const last = ncols - 1;
    let breaks = 0;
    this.rowBreaks = 0;
    for (let c = 0; c < ncols; c++) {
      if (i >= end) {
        if (!final) return -1;
        // An empty last field at the very end of a page ("a,b," with no newline).
        if (c === last && buf[i - 1] === COMMA) {
          this.starts[c] = i;
          this.ends[c] = i;
          this.escaped[c] = 0;
          this.rowBreaks = breaks;
          return i;
        }
        throw this.fieldError(c, "the page ends inside a row (fewer fields than columns)");
      }
      if (buf[i] === QUOTE) {
        const a = i + 1;
        let q = a;
        let escaped = 0;
        for (;;) {
          // A plain loop: most fields are short, where a native indexOf call costs more than it saves.
          while (q < end) {
            const b = buf[q] as number;
            if (b === QUOTE) break;
            if (b === LF) breaks++;
            q++;
          }
          if (q >= end) {
            if (!final) return -1;
            throw this.fieldError(c, "the page ends inside a quoted field");
          }
          if (q + 1 >= end && !final) return -1;
          if (buf[q + 1] === QUOTE) {
            escaped = 1;
            q += 2;
            continue;
          }
          break;
        }
        this.starts[c] = a;
        this.ends[c] = q;
        this.escaped[c] = escaped;
        i = q + 1;
      } else {
        const a = i;
        while (i < end) {
          const b = buf[i] as number;
          if (b === COMMA || b === LF || b === CR) break;
          if (b === QUOTE) throw this.fieldError(c, "a quote in the middle of an unquoted field");
          i++;
        }
        if (i >= end && !final) return -1;
        this.starts[c] = a;
        this.ends[c] = i;
        this.escaped[c] = 0;
      }
      if (i >= end) {
        if (!final) return -1;
        if (c !== last)
          throw this.fieldError(c, `the page ends inside a row (after ${c + 1} of ${ncols} fields)`);
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

  /** Stores the complete rows of `buf[start, end)`; returns where the first incomplete row starts. */
  private rows(buf: Uint8Array, start: number, end: number, final: boolean): number {
    const columns = this.batch.columns;
    const ncols = columns.length;
    let i = start;
    while (i < end) {
      const next = this.locateRow(buf, i, end, final);
      if (next < 0) break;
      for (let c = 0; c < ncols; c++) {
        const column = columns[c] as (typeof columns)[number];
        const problem = column.push(
          buf,
          this.starts[c] as number,
          this.ends[c] as number,
          this.escaped[c] === 1,
        );
        if (problem !== undefined) throw this.valueError(c, problem);
      }
      this.batch.endRow();
      this.totalRecords++;
      this.currentPageRecords++;
      // Lines for messages: the row's line breaks inside quoted text, and its own.
      this.line += this.rowBreaks + 1;
      i = next;
    }
    return i;
  }

  private fieldError(column: number, what: string): DataError {
    const name = this.names[column] ?? "";
    return new DataError(
      `${this.object}: Bulk result page ${this.pageIndex + 1}, record ${this.currentPageRecords + 1} (line ${this.line}), field ${name}: ${what}`,
      { line: this.line, column: name, field: name },
    );
  }

  private valueError(column: number, problem: string): DataError {
    const lake = this.batch.lakeColumns[column] as LakeColumn;
    return new DataError(
      `${this.object}: Bulk result page ${this.pageIndex + 1}, record ${this.currentPageRecords + 1} (line ${this.line}), ` +
        `field ${lake.field} (${lake.sfType} → ${lake.athenaType}): ${problem}`,
      { line: this.line, column: lake.field, field: lake.field },
    );
  }

  private error(what: string): DataError {
    return new DataError(
      `${this.object}: Bulk result page ${this.pageIndex + 1}, line ${this.line}: ${what}`,
      {
        line: this.line,
      },
    );
  }
}
