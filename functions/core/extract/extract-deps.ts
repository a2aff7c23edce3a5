// What every extract action works with (ExtractDeps, built by the handler) and the helpers they share.
import { describeError } from "../../errors";
import { deleteQueryJob } from "../../salesforce/bulk-query";
import type { SalesforceClient } from "../../salesforce/client";
import type { CatalogStream } from "../catalog";
import { missingHashKey } from "../column-controls";
import type { JsonlColumn } from "../formats/extract/bulk-csv-to-jsonl";
import { fieldHasher, hashedText } from "../formats/extract/field-hash";
import type { BatchHash } from "../formats/extract/lake-batch";
import { type LakeColumn, lakeColumns } from "../lake/lake-names";
import type { Layout } from "../layout";
import type { Log, Metrics, ObjectStore, StateStore, StreamKey } from "../ports";
import type { ExtractSettings } from "../settings";

/** What the extract actions work with; the handler builds it from the runtime. */
export interface ExtractDeps {
  salesforce: SalesforceClient;
  store: ObjectStore;
  state: StateStore;
  layout: Layout;
  connection: string;
  settings: ExtractSettings;
  log: Log;
  /** The run's figures for CloudWatch (none: not published). */
  metrics?: Metrics;
  /** Local clock (epoch ms), for lease expiry. */
  now?: () => number;
  /**
   * The connection's key for hashed fields (settings `hashFields`), from its secret: a secret itself,
   * never logged, written or put in a payload. Undefined: a stream with hashed fields is refused.
   */
  hashKey?: string;
}

/** An epoch-ms time as an ISO 8601 string. */
export const iso = (ms: number) => new Date(ms).toISOString();

/** The state store's key of one object of this connection (its lease and cursor). */
export function streamKey(deps: ExtractDeps, object: string): StreamKey {
  return { connection: deps.connection, object };
}

/** The stream's selected fields with their Salesforce types: the columns a part's JSON lines hold. */
export function columnsOf(stream: CatalogStream): JsonlColumn[] {
  const byName = new Map(stream.fields.map((field) => [field.name, field]));
  return stream.selectFields.map((name) => ({ name, sfType: byName.get(name)?.sfType ?? "string" }));
}

/** A stream's columns for both part formats: JSON-lines keys with their types, and lake columns. */
export interface PartColumns {
  jsonl: JsonlColumn[];
  lake: LakeColumn[];
  /** The hashed fields among them (settings `hashFields`), for Parquet row groups. */
  hash?: BatchHash;
}

/**
 * The columns of a part of `stream` (or of its selection: a partial read's, an Id snapshot's). Hashed
 * fields among them are hashed with `hashKey`; without one they are refused, never landed in clear.
 */
export function partColumnsOf(stream: CatalogStream, hashKey: string | undefined): PartColumns {
  const hashed = (stream.hashFields ?? []).filter((name) => stream.selectFields.includes(name));
  const jsonl = columnsOf(stream);
  const lake = lakeColumns(stream);
  if (hashed.length === 0) return { jsonl, lake };
  if (hashKey === undefined || hashKey === "") throw missingHashKey(stream.object, hashed);
  const hasher = fieldHasher(hashKey);
  const fields = new Set(hashed);
  return {
    jsonl: jsonl.map((column) =>
      fields.has(column.name)
        ? { ...column, hash: (text: string) => hasher(hashedText(column.sfType, text)) }
        : column,
    ),
    lake,
    hash: { fields, hasher },
  };
}

/**
 * Delete a Bulk query job whose results are read whole (or no longer wanted). A failure only costs
 * the org a job that expires on its own, so it is logged, never thrown.
 */
export async function dropQueryJob(
  deps: Pick<ExtractDeps, "salesforce" | "log">,
  jobId: string,
  object: string,
  what = "the finished Bulk job",
): Promise<void> {
  try {
    await deleteQueryJob(deps.salesforce, jobId, object);
  } catch (error) {
    deps.log.warn(`extract: could not delete ${what}`, { object, jobId, error: describeError(error) });
  }
}

/** Count the API calls an action spends, onto the continuation. */
export async function counted<T extends { apiCalls: number }>(
  deps: ExtractDeps,
  run: () => Promise<T>,
): Promise<T> {
  const before = deps.salesforce.totalCalls;
  const result = await run();
  result.apiCalls += deps.salesforce.totalCalls - before;
  return result;
}

/** Whether an error says Bulk API 2.0 cannot query the object (REST can). */
export function isBulkUnsupported(error: unknown): boolean {
  const text = error instanceof Error ? error.message : String(error);
  return /not supported|INVALIDENTITY|FeatureNotEnabled|not allowed.*bulk/i.test(text);
}
