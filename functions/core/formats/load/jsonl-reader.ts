/**
 * Streaming reader for JSON lines files users drop for a load: one flat object per line, where a
 * nested object names a relationship (`{"Account": {"ERP_Id__c": "A-1"}}` → column `Account.ERP_Id__c`).
 * Columns appear in the order keys are first seen. Lines that are not such an object are rejected one
 * by one; bytes that make the whole file unreadable (binary content, invalid UTF-8, a line longer than
 * `maxLineBytes`) throw a DataError.
 */
import { DataError } from "../../../errors";
import type { InboundBatch, InboundReader, InboundRow, JsonlValue, RejectedRow } from "./inbound";
import { PendingBytes } from "./pending-bytes";

export interface JsonlReadOptions {
  /** Longest line in bytes (default 8 MiB). */
  maxLineBytes?: number;
  /** How many levels of nested objects a line may have (default 1: a relationship and its field). */
  maxDepth?: number;
  /** Rows per batch (default 1,000). */
  batchRows?: number;
}

const LF = 0x0a;
const CR = 0x0d;
const fatalDecoder = new TextDecoder("utf-8", { fatal: true });
const END = Symbol("end");
const MORE = Symbol("more");
/** A double holds any decimal of up to 15 significant digits exactly. */
const LONG_DIGIT_RUN = /\d{16}/;
/** An exponent of three digits: the number may be beyond a double's range (1e309 parses to Infinity). */
const LONG_EXPONENT = /[eE][+-]?\d{3}/;
/** A UTF-16 surrogate without its other half: a JSON escape (`\ud83d`) that is not Unicode text. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function readJsonl(
  source: AsyncIterable<Uint8Array>,
  options: JsonlReadOptions = {},
): InboundReader<JsonlValue> {
  return new JsonlReader(source, options);
}

type Outcome = { row: InboundRow<JsonlValue> } | { rejected: RejectedRow } | undefined;

class JsonlReader implements InboundReader<JsonlValue> {
  private readonly iterator: AsyncIterator<Uint8Array>;
  private readonly pending = new PendingBytes();
  private readonly maxLineBytes: number;
  private readonly maxDepth: number;
  private readonly batchRows: number;
  private readonly columns: string[] = [];
  private readonly index = new Map<string, number>();
  private eof = false;
  private first = true;
  private line = 1;
  /** Bytes of `pending` already searched for a line feed. */
  private scanned = 0;
  private nonBlankLines = 0;
  private headerKnown = false;
  /** Lines read while looking for the header, handed out first by rows(). */
  private early: Array<Exclude<Outcome, undefined>> = [];
  private iterated = false;

  constructor(source: AsyncIterable<Uint8Array>, options: JsonlReadOptions) {
    this.iterator = source[Symbol.asyncIterator]();
    this.maxLineBytes = options.maxLineBytes ?? 8 * 1024 * 1024;
    this.maxDepth = options.maxDepth ?? 1;
    this.batchRows = options.batchRows ?? 1000;
  }

  async header(): Promise<string[]> {
    while (!this.headerKnown) {
      const outcome = await this.nextOutcome();
      if (outcome === undefined) {
        if (this.nonBlankLines === 0) {
          throw new DataError(
            'The file is empty: JSON lines need one object per line, like {"Name": "Acme"}',
            {
              line: 1,
            },
          );
        }
        break;
      }
      this.early.push(outcome);
      if ("row" in outcome) break;
    }
    this.headerKnown = true;
    return [...this.columns];
  }

  async *rows(): AsyncIterable<InboundBatch<JsonlValue>> {
    if (this.iterated) throw new Error("JSON lines rows can be read once");
    this.iterated = true;
    await this.header();
    let rows: InboundRow<JsonlValue>[] = [];
    let rejected: RejectedRow[] = [];
    const take = (outcome: Exclude<Outcome, undefined>): void => {
      if ("row" in outcome) rows.push(outcome.row);
      else rejected.push(outcome.rejected);
    };
    for (const outcome of this.early) take(outcome);
    this.early = [];
    for (;;) {
      if (rows.length + rejected.length >= this.batchRows) {
        yield { rows, rejected, header: [...this.columns] };
        rows = [];
        rejected = [];
      }
      const outcome = this.takeOutcome();
      if (outcome === MORE) {
        await this.fill();
        continue;
      }
      if (outcome === END) break;
      take(outcome);
    }
    if (rows.length > 0 || rejected.length > 0) yield { rows, rejected, header: [...this.columns] };
  }

  /** The next non-blank line as a row or a rejection; undefined at the end of the file. */
  private async nextOutcome(): Promise<Outcome> {
    for (;;) {
      const outcome = this.takeOutcome();
      if (outcome === END) return undefined;
      if (outcome !== MORE) return outcome;
      await this.fill();
    }
  }

  /**
   * The next non-blank line from the bytes at hand, without awaiting (a promise per line would cost
   * more than parsing it): MORE when the input read so far ends inside it, END after the last one.
   */
  private takeOutcome(): Exclude<Outcome, undefined> | typeof END | typeof MORE {
    for (;;) {
      const text = this.takeLine();
      if (text === END || text === MORE) return text;
      const line = this.line - 1;
      if (text.trim() === "") continue;
      this.nonBlankLines++;
      return this.parse(text, line);
    }
  }

  /** The next line's text (without its line ending). */
  private takeLine(): string | typeof END | typeof MORE {
    if (this.first) {
      if (this.pending.length < 3 && !this.eof) return MORE;
      const b = this.pending.bytes;
      if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) this.pending.drop(3);
      this.first = false;
    }
    const bytes = this.pending.bytes;
    const lf = bytes.indexOf(LF, this.scanned);
    if (lf < 0 && !(this.eof && bytes.length > 0)) {
      this.scanned = bytes.length;
      if (bytes.length > this.maxLineBytes) throw this.tooLong();
      return this.eof ? END : MORE;
    }
    const end = lf >= 0 ? lf : bytes.length;
    if (end > this.maxLineBytes) throw this.tooLong();
    const text = this.decode(bytes, end > 0 && bytes[end - 1] === CR ? end - 1 : end);
    this.pending.drop(lf >= 0 ? lf + 1 : end);
    this.scanned = 0;
    this.line++;
    return text;
  }

  private async fill(): Promise<void> {
    const next = await this.iterator.next();
    if (next.done === true) this.eof = true;
    else this.pending.append(next.value);
  }

  private decode(bytes: Uint8Array, end: number): string {
    const body = bytes.subarray(0, end);
    const nul = body.indexOf(0);
    if (nul >= 0) {
      throw new DataError(
        `Line ${this.line}: the file holds NUL bytes, so it is binary (an archive or UTF-16 text), not UTF-8 JSON lines`,
        { line: this.line },
      );
    }
    try {
      return fatalDecoder.decode(body);
    } catch (error) {
      throw new DataError(`Line ${this.line}: the text is not valid UTF-8; save the file as UTF-8`, {
        line: this.line,
        cause: error,
      });
    }
  }

  private tooLong(): DataError {
    return new DataError(
      `Line ${this.line} is longer than ${this.maxLineBytes} bytes: JSON lines need one object per line ` +
        "(a file holding one big JSON array or pretty-printed objects is not JSON lines)",
      { line: this.line },
    );
  }

  private parse(text: string, line: number): Exclude<Outcome, undefined> {
    let value: unknown;
    try {
      value =
        LONG_DIGIT_RUN.test(text) || LONG_EXPONENT.test(text)
          ? JSON.parse(text, keepLongNumbers)
          : JSON.parse(text);
    } catch (error) {
      return reject(
        line,
        text,
        `The line is not valid JSON (${(error as Error).message}); write one JSON object per line`,
      );
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      const kind = Array.isArray(value) ? "an array" : value === null ? "null" : `a ${typeof value}`;
      return reject(
        line,
        text,
        `The line is ${kind}, not an object: write one object per line, like {"Name": "Acme"}`,
      );
    }
    const flat = new Map<string, JsonlValue>();
    const problem = this.flatten(value as Record<string, unknown>, "", 0, flat);
    if (problem !== undefined) return reject(line, text, problem.message, problem.column);
    const values: JsonlValue[] = new Array(this.columns.length).fill(undefined);
    for (const [key, v] of flat) {
      let k = this.index.get(key);
      if (k === undefined) {
        k = this.columns.length;
        this.columns.push(key);
        this.index.set(key, k);
      }
      values[k] = v;
    }
    return { row: { line, values } };
  }

  private flatten(
    object: Record<string, unknown>,
    prefix: string,
    depth: number,
    into: Map<string, JsonlValue>,
  ): { column: string; message: string } | undefined {
    for (const [key, value] of Object.entries(object)) {
      const name = prefix + key;
      if (key.trim() === "") return { column: name, message: "A key is empty: every key must name a field" };
      if (Array.isArray(value)) {
        return {
          column: name,
          message:
            `"${name}" is an array; rows must be flat objects (write a multi-select picklist as "a;b", ` +
            `a relationship as {"Account": {"ERP_Id__c": "A-1"}})`,
        };
      }
      if (value !== null && typeof value === "object") {
        if (depth >= this.maxDepth) {
          return {
            column: name,
            message: `"${name}" nests objects deeper than ${this.maxDepth} level${this.maxDepth === 1 ? "" : "s"}; only a relationship and its field may nest`,
          };
        }
        const problem = this.flatten(value as Record<string, unknown>, `${name}.`, depth + 1, into);
        if (problem !== undefined) return problem;
        continue;
      }
      if (into.has(name)) {
        return { column: name, message: `"${name}" is given twice (once nested, once with a dotted key)` };
      }
      if (typeof value === "string" && LONE_SURROGATE.test(value)) {
        return {
          column: name,
          message: `"${name}" holds half of a character (a lone \\u surrogate escape), which is not Unicode text: write the whole character`,
        };
      }
      into.set(name, value as JsonlValue);
    }
    return undefined;
  }
}

function reject(line: number, text: string, message: string, column?: string): { rejected: RejectedRow } {
  return { rejected: column === undefined ? { line, message, text } : { line, column, message, text } };
}

/**
 * Numbers with more significant digits than a double holds, or beyond its range, stay as the digits
 * written (value validation then decides; a number is never silently rounded or turned into Infinity).
 */
function keepLongNumbers(_key: string, value: unknown, context?: { source?: string }): unknown {
  if (typeof value !== "number" || context?.source === undefined) return value;
  if (!Number.isFinite(value)) return context.source;
  const mantissa = context.source
    .replace(/^-/, "")
    .replace(/[eE].*$/, "")
    .replace(".", "");
  const significant = mantissa.replace(/^0+/, "").replace(/0+$/, "");
  return significant.length > 15 ? context.source : value;
}
