import { DataError } from "../../errors";
import type { CatalogField } from "../catalog";
import { readCsv } from "../formats/load/csv-reader";
import type { InboundBatch, InboundRow, JsonlValue, RejectedRow } from "../formats/load/inbound";
import { readJsonl } from "../formats/load/jsonl-reader";
import { type CsvCell, SalesforceCsvWriter } from "../formats/load/salesforce-csv-writer";
import { isFailure, toJsonValue, toSalesforceText } from "../formats/load/values";
import type { ObjectStore } from "../ports";
import type { InboundFormat } from "./inbound-file";
import type { LoadPlan, PlanColumn } from "./load-plan";
import { PartWriter } from "./part-writer";
import type { SfValue, SourceItem } from "./row-cursor";

/**
 * The load's use of the format layer (functions/core/formats): the inbound readers, value validation
 * and the Salesforce CSV writer, adapted to source items with positions, result parts and the few
 * conversions between them. Nothing here parses or quotes on its own.
 */

/**
 * Salesforce long text holds 131,072 characters, up to 4 bytes each in UTF-8: a field that long is a
 * value, not a runaway quote.
 */
export const MAX_FIELD_BYTES = 4 * 131_072;

const MAX_REJECTED_TEXT = 32_768;

export interface InboundRows {
  header(): Promise<string[]>;
  /** Batches in file order, each with the header its rows line up with (JSON lines add columns as they go). */
  batches(): AsyncIterable<{ header: readonly string[]; items: RawItem[] }>;
  close(): Promise<void>;
}

export type RawValue = string | JsonlValue;

/** One source row as the reader gave it: values by header position, or why the reader refused it. */
export type RawItem = { line: number; values: RawValue[] } | { line: number; rejected: RejectedRow };

/** Rows and rejections of one batch merged back into file order. */
function inFileOrder<V extends RawValue>(batch: InboundBatch<V>): RawItem[] {
  const { rows, rejected } = batch;
  // The usual batch: the reader's rows are already items in file order.
  if (rejected.length === 0) return rows;
  const out: RawItem[] = [];
  let r = 0;
  let j = 0;
  while (r < rows.length || j < rejected.length) {
    const row = rows[r] as InboundRow<V> | undefined;
    const reject = rejected[j];
    if (row && (!reject || row.line < reject.line)) {
      out.push({ line: row.line, values: row.values });
      r++;
    } else if (reject) {
      out.push({ line: reject.line, rejected: reject });
      j++;
    }
  }
  return out;
}

export function openInboundRows(bytes: AsyncGenerator<Uint8Array>, format: InboundFormat): InboundRows {
  const reader =
    format === "csv"
      ? readCsv(bytes, { maxFieldBytes: MAX_FIELD_BYTES, batchRows: 100 })
      : readJsonl(bytes, { maxLineBytes: 64 << 20 });
  return {
    header: () => reader.header(),
    async *batches() {
      for await (const batch of reader.rows() as AsyncIterable<InboundBatch<RawValue>>) {
        yield { header: batch.header, items: inFileOrder(batch) };
      }
    },
    close: async () => {
      await bytes.return(undefined);
    },
  };
}

/**
 * The field a column's values are checked against. Lengths are left to Salesforce, whose count is the
 * one that matters: a value too long comes back as STRING_TOO_LONG in failed.csv.
 */
const checkedFields = new WeakMap<PlanColumn, CatalogField>();
function checkedField(column: PlanColumn): CatalogField {
  let field = checkedFields.get(column);
  if (!field) {
    const { length: _length, ...rest } = column.field;
    field = rest;
    checkedFields.set(column, field);
  }
  return field;
}

/** Each column's checked field, in column order, made once per plan (a row is checked per column). */
const checkedFieldLists = new WeakMap<LoadPlan, CatalogField[]>();
function checkedFieldsOf(plan: LoadPlan): CatalogField[] {
  let fields = checkedFieldLists.get(plan);
  if (!fields) {
    fields = plan.columns.map(checkedField);
    checkedFieldLists.set(plan, fields);
  }
  return fields;
}

function rawText(value: RawValue): string {
  if (value === undefined) return "";
  if (value === null) return "#N/A";
  return String(value);
}

/** Check one row against the plan: its values in Salesforce's CSV form, or every problem it has. */
export function prepareRow(plan: LoadPlan, item: RawItem, index: number): SourceItem {
  const width = plan.columns.length;
  if ("rejected" in item) {
    const { rejected } = item;
    const text =
      rejected.text.length > MAX_REJECTED_TEXT
        ? `${rejected.text.slice(0, MAX_REJECTED_TEXT)}…`
        : rejected.text;
    return {
      ok: false,
      reject: {
        index,
        line: item.line,
        reason: `${rejected.message}. The row: ${text}`,
        raw: new Array(width).fill(""),
      },
    };
  }
  const source = plan.format === "csv" ? "csv" : "json";
  const fields = checkedFieldsOf(plan);
  const raw = item.values;
  const values: SfValue[] = new Array(width);
  let problems: string[] | undefined;
  for (let position = 0; position < width; position++) {
    const result = toSalesforceText(fields[position] as CatalogField, raw[position], source);
    if (isFailure(result)) {
      problems ??= [];
      problems.push(`${plan.columns[position]?.header}: ${result.reason}`);
    } else {
      values[position] = result;
    }
  }
  const deleting = plan.operation === "delete" || plan.operation === "hardDelete";
  if (deleting && problems === undefined && typeof values[plan.idColumn] !== "string") {
    problems = ["Id: the Id is empty, so there is nothing to delete"];
  }
  if (problems !== undefined) {
    return {
      ok: false,
      reject: {
        index,
        line: item.line,
        reason: problems.join("; "),
        raw: plan.columns.map((_, position) => rawText(item.values[position])),
      },
    };
  }
  return { ok: true, row: { index, line: item.line, values } };
}

/** A value of a result or staged file back in the load's form: `#N/A` is an explicit null, empty is "not set". */
export function stagedValue(text: string): SfValue {
  if (text === "") return undefined;
  if (text === "#N/A") return null;
  return text;
}

/** The JSON value sObject Collections take for a value already in Salesforce's CSV form. */
export function sfTextToJson(column: PlanColumn, text: string): unknown {
  const result = toJsonValue(checkedField(column), text, "csv");
  if (!result.ok) {
    // The text came out of the same parse, so this is a bug, not a user's mistake.
    throw new DataError(
      `${column.name}: '${text}' was accepted but cannot be sent as JSON: ${result.reason}`,
    );
  }
  return result.value;
}

export interface CsvRecords {
  header(): Promise<string[]>;
  rows(): AsyncIterable<string[][]>;
}

/** Read a CSV we or Salesforce wrote (results, staged rows): a header, then rows of equal width. */
export function readCsvRecords(source: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>): CsvRecords {
  const bytes = source as AsyncIterable<Uint8Array>;
  const reader = readCsv(bytes, { maxFieldBytes: MAX_FIELD_BYTES });
  return {
    header: () => reader.header(),
    async *rows() {
      for await (const batch of reader.rows()) {
        const bad = batch.rejected[0];
        if (bad) {
          throw new DataError(`A result file is malformed at line ${bad.line}: ${bad.message}`, {
            line: bad.line,
          });
        }
        yield batch.rows.map((row) => row.values);
      }
    },
  };
}

/**
 * The rows of a staged CSV file in S3 (retry rows, staged job files) as source items. `position` counts
 * every row read, across the files of one pass; only rows at positions in [skip, until) are yielded.
 */
export async function* stagedFileItems(
  store: ObjectStore,
  key: string,
  position: { index: number },
  skip: number,
  until = Number.POSITIVE_INFINITY,
): AsyncGenerator<SourceItem[]> {
  const { body } = await store.stream(key);
  try {
    const records = readCsvRecords(body);
    await records.header();
    for await (const batch of records.rows()) {
      const items: SourceItem[] = [];
      for (const fields of batch) {
        const at = position.index++;
        if (at < skip || at >= until) continue;
        items.push({ ok: true, row: { index: at, line: 0, values: fields.map(stagedValue) } });
      }
      if (items.length > 0) yield items;
    }
  } finally {
    body.destroy();
  }
}

/** Chunks of a result part handed to S3 at a time. */
const PART_CHUNK_BYTES = 64 * 1024;

/**
 * A result part: a complete CSV (header included, CRLF, quoting as Salesforce does) streamed to S3.
 * The final result files join parts by dropping each part's header line; header names never hold a
 * line break (they are API names, and a user's header with one was never accepted).
 */
export class CsvPartWriter {
  private readonly writer: SalesforceCsvWriter;
  private readonly part: PartWriter;

  constructor(store: ObjectStore, key: string, columns: readonly string[]) {
    this.writer = new SalesforceCsvWriter(columns, {
      maxFileBytes: Number.MAX_SAFE_INTEGER,
      chunkBytes: PART_CHUNK_BYTES,
    });
    this.part = new PartWriter(store, key);
  }

  get rows(): number {
    return this.writer.totals.rows;
  }

  async write(values: readonly CsvCell[]): Promise<void> {
    this.writer.write(values);
    for (const chunk of this.writer.takeChunks()) await this.part.write(chunk, 0);
  }

  /** Finish the part; true when it holds rows (no object is written otherwise). */
  async close(): Promise<boolean> {
    for (const chunk of this.writer.endFile()) await this.part.write(chunk, 0);
    await this.part.close();
    return this.rows > 0;
  }

  async abort(error: unknown): Promise<void> {
    await this.part.abort(error);
  }
}

/**
 * A header-only CSV (what an empty result file holds, as Salesforce's empty results do). The writer
 * emits the header with a file's first row, so one row of empty cells is written and cut off again.
 */
export function csvHeaderOnly(columns: readonly string[]): Uint8Array {
  const writer = new SalesforceCsvWriter(columns, { chunkBytes: 4096 });
  writer.write(columns.map(() => undefined));
  const bytes = Buffer.concat(writer.endFile());
  const emptyRow = columns.length === 1 ? 4 : columns.length - 1 + 2;
  return bytes.subarray(0, bytes.length - emptyRow);
}

/** The bytes of a CSV after its header line (a header made of API names, which hold no line break). */
export async function* withoutHeader(
  csv: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  let inHeader = true;
  for await (const chunk of csv) {
    if (!inHeader) {
      yield chunk;
      continue;
    }
    const lf = chunk.indexOf(0x0a);
    if (lf === -1) continue;
    inHeader = false;
    if (lf + 1 < chunk.length) yield chunk.subarray(lf + 1);
  }
}

/** One file's worth of rows for a Bulk ingest job, split at `maxBytes` (see SalesforceCsvWriter). */
export function bulkUploadWriter(plan: LoadPlan, maxBytes: number): SalesforceCsvWriter {
  return new SalesforceCsvWriter(
    plan.columns.map((column) => column.name),
    { maxFileBytes: maxBytes, chunkBytes: 256 * 1024 },
  );
}

/** Values padded to the plan's width (rows read before a JSON lines column first appeared are shorter). */
export function padded(values: readonly SfValue[], width: number): SfValue[] {
  if (values.length >= width) return values as SfValue[];
  const out = [...values];
  out.length = width;
  return out;
}
