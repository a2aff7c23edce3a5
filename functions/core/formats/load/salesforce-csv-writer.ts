/**
 * Writes the CSV a Bulk API 2.0 ingest job takes: a header of field names, CRLF line endings, quotes
 * only where a value needs them (comma, quote, CR, LF, leading or trailing space/tab), quotes doubled,
 * `#N/A` for an explicit null and an empty cell for "not set". Output comes as chunks; the writer
 * keeps each file under `maxFileBytes` so the caller can start a new job when one is full (one upload
 * per job, at most 150 MB after Salesforce's base64, so 100 MB of raw CSV).
 *
 * A text value that is literally `#N/A` cannot be written: Salesforce reads it as null either way.
 */
import { DataError, ReconciliationError } from "../../../errors";

export interface SalesforceCsvWriterOptions {
  /** Largest file in bytes, header included (default 100,000,000). */
  maxFileBytes?: number;
  /** Size of the chunks handed out (default 1 MiB). */
  chunkBytes?: number;
}

export type CsvCell = string | null | undefined;

const NEEDS_QUOTES = /[",\r\n]|^[ \t]|[ \t]$/;
const encoder = new TextEncoder();
const NO_CHUNKS: readonly Uint8Array[] = Object.freeze([]);

export class SalesforceCsvWriter {
  private readonly columns: readonly string[];
  private readonly header: Uint8Array;
  private readonly maxFileBytes: number;
  private readonly chunkBytes: number;
  private chunk: Buffer;
  private scratch: Buffer = Buffer.allocUnsafe(4096);
  private used = 0;
  private ready: Uint8Array[] = [];
  private currentBytes = 0;
  private currentRows = 0;
  private totalBytes = 0;
  private totalRows = 0;
  private fileCount = 0;

  constructor(columns: readonly string[], options: SalesforceCsvWriterOptions = {}) {
    if (columns.length === 0) throw new ReconciliationError("A Bulk ingest CSV needs at least one column");
    this.columns = [...columns];
    this.header = encoder.encode(`${columns.map(cell).join(",")}\r\n`);
    this.maxFileBytes = options.maxFileBytes ?? 100_000_000;
    this.chunkBytes = options.chunkBytes ?? 1 << 20;
    this.chunk = Buffer.allocUnsafe(this.chunkBytes);
  }

  /** Bytes of the current file so far, header included (0 before its first row). */
  get fileBytes(): number {
    return this.currentBytes;
  }

  /** Rows in the current file. */
  get fileRows(): number {
    return this.currentRows;
  }

  /** Files started so far. */
  get files(): number {
    return this.fileCount;
  }

  /** Bytes and rows written over all files. */
  get totals(): { bytes: number; rows: number } {
    return { bytes: this.totalBytes, rows: this.totalRows };
  }

  /**
   * Adds one row (values in column order). Returns false, writing nothing, when the row would take the
   * current file past `maxFileBytes`: end the file with `endFile()` and write the row again.
   */
  write(values: readonly CsvCell[]): boolean {
    const width = this.columns.length;
    if (values.length !== width) {
      throw new ReconciliationError(
        `A row for the Bulk ingest CSV has ${values.length} values for ${width} columns`,
      );
    }
    let text = cell(values[0]);
    for (let k = 1; k < width; k++) text += `,${cell(values[k])}`;
    // A lone empty cell would be a blank line, which CSV readers skip: quote it.
    if (text === "") text = '""';
    text += "\r\n";
    const fresh = this.currentRows === 0;
    // The usual row goes straight into the chunk (no array per row); it is counted only once it fits
    // the file, so a refused row leaves nothing behind. UTF-8 takes at most 3 bytes per UTF-16 unit.
    let length: number;
    if (!fresh && text.length * 3 <= this.chunk.length - this.used) {
      length = this.chunk.write(text, this.used);
      if (this.currentBytes + length > this.maxFileBytes) return false;
      this.used += length;
      if (this.used === this.chunk.length) this.nextChunk();
    } else {
      const row = this.encode(text);
      length = row.length;
      const added = length + (fresh ? this.header.length : 0);
      if (this.currentBytes + added > this.maxFileBytes) {
        if (fresh) {
          throw new DataError(
            `One row needs ${length} bytes of CSV, more than a whole Bulk ingest file may hold (${this.maxFileBytes})`,
          );
        }
        return false;
      }
      if (fresh) {
        this.fileCount++;
        this.append(this.header);
        length = added;
      }
      this.append(row);
    }
    this.currentBytes += length;
    this.currentRows++;
    this.totalBytes += length;
    this.totalRows++;
    return true;
  }

  /** The full chunks written so far (each handed out once). */
  takeChunks(): readonly Uint8Array[] {
    // Called after every row, and most rows fill no chunk: no new array for them.
    if (this.ready.length === 0) return NO_CHUNKS;
    const ready = this.ready;
    this.ready = [];
    return ready;
  }

  /** Ends the current file: returns its remaining chunks; the next row starts a new file with the header. */
  endFile(): readonly Uint8Array[] {
    if (this.used > 0) {
      // A copy: the chunk goes on holding the next file's rows.
      this.ready.push(new Uint8Array(this.chunk.subarray(0, this.used)));
      this.used = 0;
    }
    this.currentBytes = 0;
    this.currentRows = 0;
    return this.takeChunks();
  }

  /** The row's bytes in a buffer reused from row to row (valid until the next call). */
  private encode(text: string): Uint8Array {
    if (text.length * 3 > this.scratch.length) this.scratch = Buffer.allocUnsafe(text.length * 3);
    return this.scratch.subarray(0, this.scratch.write(text, 0));
  }

  private append(bytes: Uint8Array): void {
    let from = 0;
    while (from < bytes.length) {
      const n = Math.min(bytes.length - from, this.chunk.length - this.used);
      this.chunk.set(bytes.subarray(from, from + n), this.used);
      this.used += n;
      from += n;
      if (this.used === this.chunk.length) this.nextChunk();
    }
  }

  private nextChunk(): void {
    this.ready.push(this.chunk);
    this.chunk = Buffer.allocUnsafe(this.chunkBytes);
    this.used = 0;
  }
}

function cell(value: CsvCell): string {
  if (value === undefined || value === "") return "";
  if (value === null) return "#N/A";
  return NEEDS_QUOTES.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}
