// REST query pages, as Parquet or JSON lines, written as one part until it is full, the query done or time short.
import { TransientError } from "../../errors";
import { nextRestQueryPage, type QueryPage, startRestQuery } from "../../salesforce/rest-query";
import { LakeBatch } from "../formats/extract/lake-batch";
import { ParquetPartWriter } from "../formats/extract/parquet-part";
import { restRecordToBatch, restRecordToJson } from "../formats/extract/rest-record";
import { ORIGIN_COLUMN, type RowOrigin } from "../lake/lake-names";
import type { ExtractDeps, PartColumns } from "./extract-deps";
import { type ExtractState, formatOf, partKey } from "./extract-state";
import { uploadPart, writePart } from "./part-upload";

/** Writes REST records into a part: takes each page's records, then ends the part. */
export interface RestPartSink {
  take(records: Array<Record<string, unknown>>): Promise<void>;
  end(): Promise<void>;
}

/**
 * A part written as `format`: `fill` takes its pages until the part is full; returns its size. Rows
 * found otherwise than by the run's query carry their `origin` (`_origin` in both formats).
 */
export function writeRestPart(
  deps: ExtractDeps,
  state: ExtractState,
  key: string,
  columns: PartColumns,
  fill: (sink: RestPartSink) => Promise<void>,
  origin?: RowOrigin,
): Promise<number> {
  if (formatOf(state) === "parquet") {
    return uploadPart(deps, key, "application/vnd.apache.parquet", async (send) => {
      const part = new ParquetPartWriter(columns.lake, state.runId, send, origin);
      const batch = new LakeBatch(columns.lake, columns.hash);
      try {
        await fill({
          take: async (records) => {
            for (const record of records) restRecordToBatch(record, batch, state.object);
            if (ParquetPartWriter.full(batch)) await part.writeRowGroup(batch);
          },
          end: async () => {
            await part.writeRowGroup(batch);
            await part.finish();
          },
        });
      } finally {
        part.close();
      }
    });
  }
  const encoder = new TextEncoder();
  // A JSON line is one object: the origin goes in as its last key.
  const tag =
    origin === undefined ? undefined : `,${JSON.stringify(ORIGIN_COLUMN)}:${JSON.stringify(origin)}}`;
  const line = (record: Record<string, unknown>) => {
    const json = restRecordToJson(record, columns.jsonl);
    return tag === undefined ? json : `${json.slice(0, -1)}${tag}`;
  };
  return writePart(deps, key, async (write) => {
    await fill({
      take: async (records) => {
        const lines = records.map(line).join("\n");
        await write(encoder.encode(`${lines}\n`));
      },
      end: async () => undefined,
    });
  });
}

export async function fetchRestPart(
  deps: ExtractDeps,
  state: ExtractState,
  columns: PartColumns,
  remainingMs: () => number,
  firstPage?: QueryPage,
): Promise<ExtractState> {
  const { salesforce, settings } = deps;
  const index = state.parts.length;
  const key = partKey(deps.layout, state, index);
  let records = 0;
  let nextUrl = state.nextUrl;
  let done = false;
  let totalSize = state.expectedRecords;
  const bytes = await writeRestPart(deps, state, key, columns, async (sink) => {
    let page: QueryPage;
    let pending = firstPage;
    do {
      page = pending
        ? pending
        : nextUrl
          ? await nextRestQueryPage(salesforce, {
              object: state.object,
              nextRecordsUrl: nextUrl,
              batchSize: settings.restBatchSize,
            })
          : await startRestQuery(salesforce, {
              object: state.object,
              soql: state.soql,
              includeDeleted: state.operation === "queryAll",
              batchSize: settings.restBatchSize,
            });
      pending = undefined;
      totalSize = page.totalSize;
      if (page.records.length > 0) {
        await sink.take(page.records);
        records += page.records.length;
      }
      done = page.done;
      nextUrl = page.nextRecordsUrl;
      if (!done && !nextUrl) {
        throw new TransientError(
          `A REST query page for ${state.object} is not the last but has no nextRecordsUrl.`,
          {
            object: state.object,
          },
        );
      }
    } while (!done && records < settings.restPartRecords && remainingMs() > settings.safetyMarginMs);
    await sink.end();
  });
  const next: ExtractState = {
    ...state,
    parts: [...state.parts, [index, records, bytes]],
    records: state.records + records,
    bytes: state.bytes + bytes,
    nextUrl: done ? undefined : nextUrl,
    expectedRecords: totalSize,
  };
  if (done) next.status = "ready";
  deps.log.info("extract: part written", { object: state.object, key, records, bytes });
  return next;
}
