// REST query pages, as JSON lines, written as one part until it is full, the query done or time short.
import { TransientError } from "../../errors";
import { nextRestQueryPage, type QueryPage, startRestQuery } from "../../salesforce/rest-query";
import type { JsonlColumn } from "../formats/extract/bulk-csv-to-jsonl";
import { restRecordToJson } from "../formats/extract/rest-record";
import type { ExtractDeps } from "./extract-deps";
import type { ExtractState } from "./extract-state";
import { writePart } from "./part-upload";

export async function fetchRestPart(
  deps: ExtractDeps,
  state: ExtractState,
  columns: JsonlColumn[],
  remainingMs: () => number,
  firstPage?: QueryPage,
): Promise<ExtractState> {
  const { salesforce, settings } = deps;
  const index = state.parts.length;
  const key = deps.layout.part(state.object, state.runDate, state.runId, state.jobTag, index);
  let records = 0;
  let nextUrl = state.nextUrl;
  let done = false;
  let totalSize = state.expectedRecords;
  const encoder = new TextEncoder();
  const bytes = await writePart(deps, key, async (write) => {
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
        const lines = page.records.map((record) => restRecordToJson(record, columns)).join("\n");
        await write(encoder.encode(`${lines}\n`));
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
