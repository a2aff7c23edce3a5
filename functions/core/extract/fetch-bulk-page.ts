// One page of a finished Bulk query job's results, converted to JSON lines and written as one part.
import { ConfigurationError, DataError, SaddleError, TransientError } from "../../errors";
import { openResultsPage } from "../../salesforce/bulk-query";
import { BulkCsvToJsonl, type JsonlColumn } from "../formats/extract/bulk-csv-to-jsonl";
import type { ExtractDeps } from "./extract-deps";
import type { ExtractState, PartEntry } from "./extract-state";
import { writePart } from "./part-upload";

export async function fetchBulkPage(
  deps: ExtractDeps,
  state: ExtractState,
  columns: JsonlColumn[],
): Promise<ExtractState> {
  if (!state.jobId) throw new ConfigurationError(`No Bulk job to fetch for ${state.object}.`);
  const index = state.parts.length;
  const key = deps.layout.part(state.object, state.runDate, state.runId, state.jobTag, index);
  const page = await openResultsPage(deps.salesforce, {
    jobId: state.jobId,
    object: state.object,
    locator: state.locator,
    maxRecords: deps.settings.bulkPageRecords,
  });
  const converter = new BulkCsvToJsonl(columns);
  const bytes = await writePart(deps, key, async (write) => {
    try {
      for await (const chunk of page.body) {
        // The lines are a view of the converter's buffer until the next push: ParallelGzip copies
        // them into its block before write returns.
        const out = converter.push(chunk);
        if (out.length > 0) await write(out);
      }
      const tail = converter.endPage();
      if (tail.length > 0) await write(tail);
    } catch (error) {
      if (error instanceof SaddleError && !(error instanceof DataError)) throw error;
      throw new TransientError(
        `Page ${index} of Bulk job ${state.jobId} (${state.object}) was cut short or malformed: ${(error as Error).message}. The page is read again from its locator.`,
        { object: state.object, cause: error },
      );
    }
  });
  const records = converter.records;
  if (page.records !== undefined && page.records !== records) {
    throw new TransientError(
      `Page ${index} of Bulk job ${state.jobId} (${state.object}) held ${records} rows but Salesforce announced ${page.records}; the page is read again.`,
      { object: state.object },
    );
  }
  const parts: PartEntry[] = [...state.parts, [index, records, bytes]];
  const next: ExtractState = {
    ...state,
    parts,
    records: state.records + records,
    bytes: state.bytes + bytes,
    locator: page.nextLocator ?? undefined,
  };
  if (page.nextLocator === null) next.status = "ready";
  deps.log.info("extract: part written", { object: state.object, key, records, bytes });
  return next;
}
