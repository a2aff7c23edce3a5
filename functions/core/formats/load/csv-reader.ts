/**
 * Streaming reader for the CSV files users drop for a load: RFC 4180 with optional quotes, CRLF or LF
 * (a lone CR also ends a line), a UTF-8 BOM skipped, blank lines skipped. Memory stays bounded: a field
 * longer than `maxFieldBytes` is an error (usually a quote that never closes), and only the unread
 * partial row is kept between chunks.
 */
import { isUtf8 } from "node:buffer";
import { DataError } from "../../../errors";
import type { InboundBatch, InboundReader, InboundRow, RejectedRow } from "./inbound";
import { PendingBytes } from "./pending-bytes";

export interface CsvReadOptions {
  /** Longest field in bytes (default 128 KiB: Salesforce long text holds 131,072 characters). */
  maxFieldBytes?: number;
  /** Longest row in bytes (default 64 MiB). */
  maxRowBytes?: number;
  /** Rows per batch (default 1,000). */
  batchRows?: number;
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

/** Kinds of field: plain ASCII bytes, other UTF-8 bytes, or text already unescaped. */
const ASCII = 0;
const UTF8 = 1;
const TEXT = 2;

const END = Symbol("end");
const MORE = Symbol("more");

export function readCsv(
  source: AsyncIterable<Uint8Array>,
  options: CsvReadOptions = {},
): InboundReader<string> {
  return new CsvReader(source, options);
}

interface ParsedRecord {
  fields: string[];
  /** Offset just past the record (and its line ending). */
  next: number;
  /** Physical line of the next record. */
  nextLine: number;
  blank: boolean;
}

class CsvReader implements InboundReader<string> {
  private readonly iterator: AsyncIterator<Uint8Array>;
  private readonly pending = new PendingBytes();
  private readonly maxFieldBytes: number;
  private readonly maxRowBytes: number;
  private readonly batchRows: number;
  private eof = false;
  private bytesRead = 0;
  private bomChecked = false;
  private bomBytes = 0;
  /** Physical line where the next record starts. */
  private line = 1;
  /** Parse again only once this many bytes are pending (a long row re-scanned after every small chunk would be quadratic). */
  private retryAt = 0;
  private columns: string[] | undefined;
  private iterated = false;
  /** Where the fields of the record being parsed are, and how to make them strings (see parseRecord). */
  private starts = new Int32Array(64);
  private ends = new Int32Array(64);
  private kinds = new Uint8Array(64);
  private readonly texts: Array<string | undefined> = [];

  constructor(source: AsyncIterable<Uint8Array>, options: CsvReadOptions) {
    this.iterator = source[Symbol.asyncIterator]();
    this.maxFieldBytes = options.maxFieldBytes ?? 128 * 1024;
    this.maxRowBytes = options.maxRowBytes ?? 64 * 1024 * 1024;
    this.batchRows = options.batchRows ?? 1000;
  }

  async header(): Promise<string[]> {
    while (this.columns === undefined) {
      const record = await this.nextRecord();
      if (record === undefined) {
        if (this.bytesRead - this.bomBytes === 0) {
          throw new DataError(
            "The file is empty: a CSV needs a header row of field API names, then one row per record",
            {
              line: 1,
            },
          );
        }
        throw new DataError("The file has no header row, only blank lines", { line: 1 });
      }
      const line = this.line;
      this.line = record.nextLine;
      if (!record.blank) this.columns = checkHeader(record.fields, line);
    }
    return [...this.columns];
  }

  async *rows(): AsyncIterable<InboundBatch<string>> {
    if (this.iterated) throw new Error("CSV rows can be read once");
    this.iterated = true;
    const header = await this.header();
    const width = header.length;
    let rows: InboundRow<string>[] = [];
    let rejected: RejectedRow[] = [];
    for (;;) {
      const start = this.line;
      const record = this.takeRecord();
      if (record === MORE) {
        await this.fill();
        continue;
      }
      if (record === END) break;
      this.line = record.nextLine;
      if (record.blank) continue;
      if (record.fields.length === width) {
        rows.push({ line: start, values: record.fields });
      } else {
        rejected.push({
          line: start,
          message:
            `The row has ${record.fields.length} field${record.fields.length === 1 ? "" : "s"}, the header has ${width}: ` +
            "quote values that contain commas, or add the missing fields",
          text: recordText(record.fields),
        });
      }
      if (rows.length + rejected.length >= this.batchRows) {
        yield { rows, rejected, header };
        rows = [];
        rejected = [];
      }
    }
    if (rows.length > 0 || rejected.length > 0) yield { rows, rejected, header };
  }

  /** The next record, reading more input as needed; undefined at the end of the file. */
  private async nextRecord(): Promise<ParsedRecord | undefined> {
    for (;;) {
      const record = this.takeRecord();
      if (record === END) return undefined;
      if (record !== MORE) return record;
      await this.fill();
    }
  }

  /**
   * The next record from the bytes at hand, without awaiting (a promise per row would cost more than
   * parsing it): MORE when the input read so far ends inside it, END after the last one.
   */
  private takeRecord(): ParsedRecord | typeof END | typeof MORE {
    if (!this.bomChecked) {
      if (this.pending.length < 3 && !this.eof) return MORE;
      const b = this.pending.bytes;
      if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) {
        this.pending.drop(3);
        this.bomBytes = 3;
      }
      this.bomChecked = true;
    }
    if (this.pending.length === 0) return this.eof ? END : MORE;
    if (!this.eof && this.pending.length < this.retryAt) return MORE;
    const { data, start, end } = this.pending;
    const record = this.parseRecord(data, start, end, this.eof);
    if (record !== undefined) {
      this.pending.drop(record.next - start);
      this.retryAt = 0;
      return record;
    }
    if (end - start > this.maxRowBytes) {
      throw new DataError(
        `The row starting at line ${this.line} is longer than ${this.maxRowBytes} bytes: check for a quote that is never closed`,
        { line: this.line },
      );
    }
    this.retryAt = (end - start) * 2;
    return MORE;
  }

  private async fill(): Promise<void> {
    const next = await this.iterator.next();
    if (next.done === true) {
      this.eof = true;
    } else if (next.value.length > 0) {
      this.bytesRead += next.value.length;
      this.pending.append(next.value);
    }
  }

  /**
   * One record from `buf[from, end)`, or undefined when it is not complete yet (only when not `final`).
   * Throws DataError for what makes the whole file unreadable. Bytes at and past `end` are stale
   * (the pending buffer's unused tail): every look-ahead checks `end` first.
   *
   * Fields are found first and made strings once the record is whole: the record's bytes become one
   * latin1 string (a byte per character, so byte offsets are string offsets) and each plain ASCII field
   * is a slice of it, which costs far less than a native decode per field. Fields with other UTF-8 text
   * are checked as they are found and decoded alone; fields with doubled quotes are unescaped then.
   */
  private parseRecord(buf: Buffer, from: number, end: number, final: boolean): ParsedRecord | undefined {
    let i = from;
    let line = this.line;
    if (buf[from] === LF) return { fields: [], next: from + 1, nextLine: line + 1, blank: true };
    if (buf[from] === CR) {
      if (end - from < 2 && !final) return undefined;
      return {
        fields: [],
        next: from + 1 < end && buf[from + 1] === LF ? from + 2 : from + 1,
        nextLine: line + 1,
        blank: true,
      };
    }
    const max = this.maxFieldBytes;
    let count = 0;
    for (;;) {
      const column = count + 1;
      if (count === this.kinds.length) this.growFields();
      if (i < end && buf[i] === QUOTE) {
        const startLine = line;
        i++;
        let a = i;
        let size = 0;
        let high = 0;
        let text: string | undefined;
        for (;;) {
          while (i < end) {
            const b = buf[i] as number;
            if (b === QUOTE) break;
            if (b === 0) throw this.binary(line, column);
            if (b === LF) line++;
            high |= b;
            i++;
          }
          if (size + (i - a) > max) throw this.tooLong(startLine, column);
          if (i >= end) {
            if (!final) return undefined;
            throw new DataError(
              `Line ${startLine}, column ${column}: a quoted field is never closed (the file ends inside it); ` +
                `close the quote, and double any quote inside the value ("")`,
              { line: startLine, column },
            );
          }
          if (i + 1 >= end && !final) return undefined;
          if (i + 1 < end && buf[i + 1] === QUOTE) {
            text = (text ?? "") + this.decode(buf, a, i + 1, high, startLine, column);
            size += i + 1 - a;
            i += 2;
            a = i;
            high = 0;
            continue;
          }
          if (text === undefined) this.found(count, buf, a, i, high, startLine, column);
          else this.foundText(count, text + this.decode(buf, a, i, high, startLine, column));
          i++;
          break;
        }
        if (i < end && buf[i] !== COMMA && buf[i] !== LF && buf[i] !== CR) {
          throw new DataError(
            `Line ${line}, column ${column}: unexpected text after a closing quote; quote the whole value ` +
              `and double any quote inside it ("")`,
            { line, column },
          );
        }
      } else {
        const a = i;
        let high = 0;
        while (i < end) {
          const b = buf[i] as number;
          if (b === COMMA || b === LF || b === CR) break;
          if (b === QUOTE) {
            throw new DataError(
              `Line ${line}, column ${column}: a quote in the middle of an unquoted value; quote the whole ` +
                `value and double the quote inside it ("")`,
              { line, column },
            );
          }
          if (b === 0) throw this.binary(line, column);
          high |= b;
          i++;
        }
        if (i - a > max) throw this.tooLong(line, column);
        if (i >= end && !final) return undefined;
        this.found(count, buf, a, i, high, line, column);
      }
      count++;
      if (i >= end) {
        return { fields: this.fieldsOf(buf, from, i, count), next: i, nextLine: line + 1, blank: false };
      }
      if (buf[i] === COMMA) {
        i++;
        continue;
      }
      const fields = this.fieldsOf(buf, from, i, count);
      if (buf[i] === CR) {
        if (i + 1 >= end && !final) return undefined;
        i += i + 1 < end && buf[i + 1] === LF ? 2 : 1;
      } else {
        i++;
      }
      return { fields, next: i, nextLine: line + 1, blank: false };
    }
  }

  /** Field `k` is the bytes [a, b): plain ASCII, or UTF-8 checked now (so errors come in file order). */
  private found(
    k: number,
    buf: Buffer,
    a: number,
    b: number,
    high: number,
    line: number,
    column: number,
  ): void {
    this.starts[k] = a;
    this.ends[k] = b;
    if (high < 0x80) {
      this.kinds[k] = ASCII;
      return;
    }
    if (!isUtf8(buf.subarray(a, b))) throw this.notUtf8(line, column);
    this.kinds[k] = UTF8;
  }

  /** Field `k` is text already made (it had doubled quotes). */
  private foundText(k: number, text: string): void {
    this.kinds[k] = TEXT;
    this.texts[k] = text;
  }

  /** The `count` fields of the record at [from, to) as strings. */
  private fieldsOf(buf: Buffer, from: number, to: number, count: number): string[] {
    const fields = new Array<string>(count);
    let record: string | undefined;
    for (let k = 0; k < count; k++) {
      const kind = this.kinds[k];
      if (kind === TEXT) {
        fields[k] = this.texts[k] as string;
        this.texts[k] = undefined;
        continue;
      }
      const a = this.starts[k] as number;
      const b = this.ends[k] as number;
      if (a === b) fields[k] = "";
      else if (kind === UTF8) fields[k] = buf.toString("utf8", a, b);
      else {
        record ??= buf.toString("latin1", from, to);
        fields[k] = record.slice(a - from, b - from);
      }
    }
    return fields;
  }

  private growFields(): void {
    const size = this.kinds.length * 2;
    const starts = new Int32Array(size);
    starts.set(this.starts);
    this.starts = starts;
    const ends = new Int32Array(size);
    ends.set(this.ends);
    this.ends = ends;
    const kinds = new Uint8Array(size);
    kinds.set(this.kinds);
    this.kinds = kinds;
  }

  /** Field text; Buffer's native decoders beat TextDecoder by far on short fields. */
  private decode(buf: Buffer, a: number, b: number, high: number, line: number, column: number): string {
    if (a === b) return "";
    if (high < 0x80) return buf.toString("latin1", a, b);
    if (!isUtf8(buf.subarray(a, b))) throw this.notUtf8(line, column);
    return buf.toString("utf8", a, b);
  }

  private notUtf8(line: number, column: number): DataError {
    return new DataError(
      `Line ${line}, column ${column}: the text is not valid UTF-8; save the file as UTF-8 (CSV UTF-8 in Excel)`,
      { line, column },
    );
  }

  private binary(line: number, column: number): DataError {
    return new DataError(
      `Line ${line}, column ${column}: the file holds NUL bytes, so it is binary (a spreadsheet, an archive or UTF-16 text), not a UTF-8 CSV; export it as CSV UTF-8`,
      { line, column },
    );
  }

  private tooLong(line: number, column: number): DataError {
    return new DataError(
      `Line ${line}, column ${column}: a field is longer than ${this.maxFieldBytes} bytes (Salesforce long text ` +
        "holds 131,072 characters); check for a quote that is never closed",
      { line, column },
    );
  }
}

function checkHeader(fields: string[], line: number): string[] {
  const names = fields.map((f) => f.trim());
  if (names.every((n) => n === "")) {
    throw new DataError(
      "The header row is blank: the first row must name the fields (API names such as Name, Account.ERP_Id__c)",
      {
        line,
      },
    );
  }
  const seen = new Map<string, number>();
  names.forEach((name, k) => {
    if (name === "") {
      throw new DataError(
        `Header column ${k + 1} has no name: name every column, or delete the empty column`,
        {
          line,
          column: k + 1,
        },
      );
    }
    const first = seen.get(name.toLowerCase());
    if (first !== undefined) {
      throw new DataError(
        `Header column ${k + 1} "${name}" repeats column ${first + 1}: each field may appear once`,
        { line, column: k + 1 },
      );
    }
    seen.set(name.toLowerCase(), k);
  });
  return names;
}

/** The row as CSV text again, for a rejected-rows report. */
function recordText(fields: string[]): string {
  return fields.map((f) => (/[",\r\n]/.test(f) ? `"${f.replaceAll('"', '""')}"` : f)).join(",");
}
