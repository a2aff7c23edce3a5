/** What Bulk query and ingest jobs share: states, ids, the job-info JSON and request checks. */
import type { Org } from "../org/types";
import { ApiError } from "./api-error";
import { type ColumnDelimiter, isColumnDelimiter, isLineEnding, type LineEnding } from "./bulk-csv";
import { IdSequence } from "./ids";
import { JSON_TYPE, type Reply } from "./reply";
import { restDateTime } from "./wire-dates";

export type JobState = "Open" | "UploadComplete" | "InProgress" | "JobComplete" | "Failed" | "Aborted";

export const TERMINAL_STATES: ReadonlySet<JobState> = new Set(["JobComplete", "Failed", "Aborted"]);

/** Bulk job ids (`750…`) are shared by query and ingest jobs, as in a real org. */
export const jobIds = new IdSequence("750");

export const invalidJobState = (message: string): ApiError => new ApiError(400, "INVALIDJOBSTATE", message);

export const invalidProperty = (property: string, value: unknown): ApiError =>
  new ApiError(
    400,
    "API_ERROR",
    `Invalid value: '${value === undefined || value === null ? "" : String(value)}' supplied for property: '${property}'`,
  );

export function delimiterOf(body: Record<string, unknown>): ColumnDelimiter {
  const value = body.columnDelimiter ?? "COMMA";
  if (!isColumnDelimiter(value)) throw invalidProperty("columnDelimiter", value);
  return value;
}

export function lineEndingOf(body: Record<string, unknown>): LineEnding {
  const value = body.lineEnding ?? "LF";
  if (!isLineEnding(value)) throw invalidProperty("lineEnding", value);
  return value;
}

export function contentTypeOf(body: Record<string, unknown>): "CSV" {
  const value = body.contentType ?? "CSV";
  if (value !== "CSV") throw invalidProperty("contentType", value);
  return "CSV";
}

/** Job timestamps follow the org clock, formatted like other REST datetimes. */
export function orgNow(org: Org): string {
  return restDateTime(org.clock.now());
}

/**
 * A job-info JSON reply. Salesforce writes `apiVersion` as a decimal (`62.0`), which JSON.stringify
 * cannot, so the body is serialised here.
 */
export function jobReply(status: number, info: Record<string, unknown>): Reply {
  const text = JSON.stringify(info).replace(/"apiVersion":(\d+)(?=[,}])/g, '"apiVersion":$1.0');
  return { status, headers: { "Content-Type": JSON_TYPE }, body: text };
}

export function listReply(records: Array<Record<string, unknown>>): Reply {
  return jobReply(200, { done: true, records, nextRecordsUrl: null });
}

/** Gives the event loop a turn during long CPU work so polls are still answered. */
export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
