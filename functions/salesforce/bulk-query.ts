import { JobFailedError, TransientError } from "../errors";
import type { SalesforceClient } from "./client";

export type BulkQueryState = "UploadComplete" | "InProgress" | "JobComplete" | "Failed" | "Aborted";

export interface BulkQueryJob {
  id: string;
  state: BulkQueryState;
  operation: "query" | "queryAll";
  object: string;
  errorMessage?: string;
  numberRecordsProcessed?: number;
}

const JSON_HEADERS = { "Content-Type": "application/json" };

export async function createQueryJob(
  client: SalesforceClient,
  request: { object: string; soql: string; operation: "query" | "queryAll" },
): Promise<BulkQueryJob> {
  return client.json<BulkQueryJob>({
    method: "POST",
    path: "jobs/query",
    kind: "bulkQueryCreate",
    object: request.object,
    headers: JSON_HEADERS,
    body: JSON.stringify({
      operation: request.operation,
      query: request.soql,
      contentType: "CSV",
      columnDelimiter: "COMMA",
      lineEnding: "LF",
    }),
  });
}

export async function getQueryJob(
  client: SalesforceClient,
  jobId: string,
  object?: string,
): Promise<BulkQueryJob> {
  return client.json<BulkQueryJob>({
    method: "GET",
    path: `jobs/query/${jobId}`,
    kind: "bulkQueryPoll",
    object,
  });
}

/** Throw the job's failure as JobFailedError so the state machine restarts the object from scratch. */
export function assertQueryJobUsable(job: BulkQueryJob): void {
  if (job.state === "Failed" || job.state === "Aborted") {
    throw new JobFailedError(
      `Bulk query job ${job.id} for ${job.object} ended ${job.state}${job.errorMessage ? `: ${job.errorMessage}` : ""}.`,
      { object: job.object, code: job.state },
    );
  }
}

export async function abortQueryJob(client: SalesforceClient, jobId: string, object?: string): Promise<void> {
  await client.json({
    method: "PATCH",
    path: `jobs/query/${jobId}`,
    kind: "bulkQueryAbort",
    object,
    headers: JSON_HEADERS,
    body: JSON.stringify({ state: "Aborted" }),
  });
}

export async function deleteQueryJob(
  client: SalesforceClient,
  jobId: string,
  object?: string,
): Promise<void> {
  await client.json({ method: "DELETE", path: `jobs/query/${jobId}`, kind: "bulkQueryDelete", object });
}

export interface ResultsPage {
  /** The page's CSV bytes, streamed. */
  body: ReadableStream<Uint8Array>;
  /** Locator of the next page, or null when this is the last page. */
  nextLocator: string | null;
  /** Rows in this page per `Sforce-NumberOfRecords`, when sent. */
  records: number | undefined;
}

/** Open one page of a finished query job's results. The caller streams `body` to the end. */
export async function openResultsPage(
  client: SalesforceClient,
  request: { jobId: string; object?: string; locator?: string; maxRecords: number },
): Promise<ResultsPage> {
  const response = await client.request({
    method: "GET",
    path: `jobs/query/${request.jobId}/results`,
    kind: "bulkQueryResults",
    object: request.object,
    query: { maxRecords: request.maxRecords, locator: request.locator },
    headers: { Accept: "text/csv" },
  });
  const locator = response.headers.get("sforce-locator");
  if (locator === null || locator === "") {
    await response.body?.cancel();
    // Without a locator there is no telling whether more pages exist: stop rather than guess.
    throw new TransientError(
      `Bulk query job ${request.jobId} returned a results page without a Sforce-Locator header; the page is retried.`,
      { object: request.object },
    );
  }
  const count = response.headers.get("sforce-numberofrecords");
  if (!response.body)
    throw new TransientError(`Bulk query job ${request.jobId} returned an empty results page.`);
  return {
    body: response.body,
    nextLocator: locator === "null" ? null : locator,
    records: count === null ? undefined : Number(count),
  };
}
