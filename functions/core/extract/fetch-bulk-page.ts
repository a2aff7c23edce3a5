// One page of a finished Bulk query job's results, converted and written as one part (Parquet or JSON lines).
import { BadValueError, ConfigurationError, DataError, SaddleError, TransientError } from "../../errors";
import { openResultsPage, type ResultsPage } from "../../salesforce/bulk-query";
import { BulkCsvToColumns } from "../formats/extract/bulk-csv-to-columns";
import { BulkCsvToJsonl } from "../formats/extract/bulk-csv-to-jsonl";
import { LakeBatch } from "../formats/extract/lake-batch";
import { ParquetPartWriter } from "../formats/extract/parquet-part";
import { ORIGIN_COLUMN, type RowOrigin } from "../lake/lake-names";
import type { ExtractDeps, PartColumns } from "./extract-deps";
import { type ExtractState, formatOf, type PartEntry, partKey } from "./extract-state";
import { uploadPart, writePart } from "./part-upload";

export async function fetchBulkPage(
  deps: ExtractDeps,
  state: ExtractState,
  columns: PartColumns,
): Promise<ExtractState> {
  const index = state.parts.length;
  const key = partKey(deps.layout, state, index);
  const { records, bytes, nextLocator } = await writeBulkPage(deps, state, key, columns);
  const parts: PartEntry[] = [...state.parts, [index, records, bytes]];
  const next: ExtractState = {
    ...state,
    parts,
    records: state.records + records,
    bytes: state.bytes + bytes,
    locator: nextLocator ?? undefined,
  };
  if (nextLocator === null) next.status = "ready";
  deps.log.info("extract: part written", { object: state.object, key, records, bytes });
  return next;
}

/**
 * The Bulk job's next results page (from the state's locator) written as the part `key` with
 * `columns` (the query's, in its SELECT order, then any `constants`: columns the query does not select,
 * one value for every row, by field name); rows found otherwise than by the run's query carry their
 * `origin`. Answers its rows, size and the next locator (null: the last page).
 */
export async function writeBulkPage(
  deps: ExtractDeps,
  state: ExtractState,
  key: string,
  columns: PartColumns,
  origin?: RowOrigin,
  constants: Record<string, string> = {},
): Promise<{ records: number; bytes: number; nextLocator: string | null }> {
  if (!state.jobId) throw new ConfigurationError(`No Bulk job to fetch for ${state.object}.`);
  const index = state.parts.length;
  const page = await openResultsPage(deps.salesforce, {
    jobId: state.jobId,
    object: state.object,
    locator: state.locator,
    maxRecords: deps.settings.bulkPageRecords,
  });
  // A page that breaks off or reads as malformed CSV was cut short on the way: it is read again. Any
  // other SaddleError stands, and so does a value the column cannot hold (BadValueError, a DataError):
  // Salesforce gives it again on every read, so a retry could only fail the same way.
  const cutShort = (error: unknown): never => {
    if (error instanceof SaddleError && (!(error instanceof DataError) || error instanceof BadValueError)) {
      throw error;
    }
    throw new TransientError(
      `Page ${index} of Bulk job ${state.jobId} (${state.object}) was cut short or malformed: ${(error as Error).message}. The page is read again from its locator.`,
      { object: state.object, cause: error },
    );
  };
  const { records, bytes } =
    formatOf(state) === "parquet"
      ? await parquetPage(deps, state, key, page, columns, cutShort, origin, constants)
      : await jsonlPage(deps, state, key, page, columns, cutShort, origin, constants);
  if (page.records !== undefined && page.records !== records) {
    throw new TransientError(
      `Page ${index} of Bulk job ${state.jobId} (${state.object}) held ${records} rows but Salesforce announced ${page.records}; the page is read again.`,
      { object: state.object },
    );
  }
  return { records, bytes, nextLocator: page.nextLocator };
}

/**
 * JSON lines with the tag (`,"<key>":<value>…`: the constants and `_origin`) as each line's last keys.
 * Every line ends `}\n`, and no other byte is a newline (JSON escapes those inside strings), so the tag
 * goes before each line's last `}`.
 */
function tagLines(lines: Uint8Array, tag: Uint8Array): Uint8Array {
  let count = 0;
  for (let i = 0; i < lines.length; i++) if (lines[i] === 0x0a) count++;
  if (count === 0) return lines;
  const out = new Uint8Array(lines.length + count * tag.length);
  let from = 0;
  let to = 0;
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== 0x0a) continue;
    // lines[i - 1] is the line's closing brace.
    out.set(lines.subarray(from, i - 1), to);
    to += i - 1 - from;
    out.set(tag, to);
    to += tag.length;
    out[to++] = 0x7d;
    out[to++] = 0x0a;
    from = i + 1;
  }
  out.set(lines.subarray(from), to);
  return out.subarray(0, to + lines.length - from);
}

async function jsonlPage(
  deps: ExtractDeps,
  state: ExtractState,
  key: string,
  page: ResultsPage,
  columns: PartColumns,
  cutShort: (error: unknown) => never,
  origin: RowOrigin | undefined,
  constants: Record<string, string>,
): Promise<{ records: number; bytes: number }> {
  const converter = new BulkCsvToJsonl(
    columns.jsonl.filter((column) => !(column.name in constants)),
    state.object,
  );
  const tail = [
    ...Object.entries(constants).map(([name, value]) => `,${JSON.stringify(name)}:${JSON.stringify(value)}`),
    ...(origin === undefined ? [] : [`,${JSON.stringify(ORIGIN_COLUMN)}:${JSON.stringify(origin)}`]),
  ];
  const tag = tail.length === 0 ? undefined : new TextEncoder().encode(tail.join(""));
  const tagged = (lines: Uint8Array) => (tag === undefined ? lines : tagLines(lines, tag));
  const bytes = await writePart(deps, key, async (write) => {
    try {
      for await (const chunk of page.body) {
        // The lines are a view of the converter's buffer until the next push: ParallelGzip copies
        // them into its block before write returns.
        const out = converter.push(chunk);
        if (out.length > 0) await write(tagged(out));
      }
      const tail = converter.endPage();
      if (tail.length > 0) await write(tagged(tail));
    } catch (error) {
      cutShort(error);
    }
  });
  return { records: converter.records, bytes };
}

/** The page's rows gathered into row groups, each encoded and sent before the next is gathered. */
async function parquetPage(
  deps: ExtractDeps,
  state: ExtractState,
  key: string,
  page: ResultsPage,
  columns: PartColumns,
  cutShort: (error: unknown) => never,
  origin: RowOrigin | undefined,
  constants: Record<string, string>,
): Promise<{ records: number; bytes: number }> {
  const batch = new LakeBatch(columns.lake, columns.hash);
  const converter = new BulkCsvToColumns(state.object, columns.lake, batch, constants);
  const bytes = await uploadPart(deps, key, "application/vnd.apache.parquet", async (send) => {
    const part = new ParquetPartWriter(columns.lake, state.runId, send, origin);
    try {
      try {
        for await (const chunk of page.body) {
          converter.push(chunk);
          if (ParquetPartWriter.full(batch)) await part.writeRowGroup(batch);
        }
        converter.endPage();
      } catch (error) {
        cutShort(error);
      }
      await part.writeRowGroup(batch);
      await part.finish();
    } finally {
      part.close();
    }
  });
  return { records: converter.records, bytes };
}
