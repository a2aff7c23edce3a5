import { ConfigurationError } from "../errors";
import type { RequestBody, SalesforceClient } from "./client";

export type IngestOperation = "insert" | "update" | "upsert" | "delete" | "hardDelete";
export type IngestState = "Open" | "UploadComplete" | "InProgress" | "JobComplete" | "Failed" | "Aborted";

export interface IngestJob {
  id: string;
  object: string;
  operation: IngestOperation;
  state: IngestState;
  contentUrl?: string;
  errorMessage?: string;
  numberRecordsProcessed?: number;
  numberRecordsFailed?: number;
}

export type IngestResultKind = "successfulResults" | "failedResults" | "unprocessedrecords";

const JSON_HEADERS = { "Content-Type": "application/json" };

export async function createIngestJob(
  client: SalesforceClient,
  request: { object: string; operation: IngestOperation; externalIdFieldName?: string },
): Promise<IngestJob> {
  if (request.operation === "upsert" && !request.externalIdFieldName) {
    throw new ConfigurationError(`An upsert into ${request.object} needs an external id field.`, {
      object: request.object,
    });
  }
  return client.json<IngestJob>({
    method: "POST",
    path: "jobs/ingest",
    kind: "bulkIngestCreate",
    object: request.object,
    headers: JSON_HEADERS,
    body: JSON.stringify({
      object: request.object,
      operation: request.operation,
      externalIdFieldName: request.operation === "upsert" ? request.externalIdFieldName : undefined,
      contentType: "CSV",
      columnDelimiter: "COMMA",
      lineEnding: "CRLF",
    }),
  });
}

/** The one upload a job takes: CSV bytes streamed as the request body. Salesforce answers 201. */
export async function uploadIngestData(
  client: SalesforceClient,
  job: IngestJob,
  body: RequestBody,
): Promise<void> {
  const path = job.contentUrl ? `/${job.contentUrl.replace(/^\/+/, "")}` : `jobs/ingest/${job.id}/batches`;
  const response = await client.request({
    method: "PUT",
    path,
    kind: "bulkIngestUpload",
    object: job.object,
    headers: { "Content-Type": "text/csv" },
    body,
  });
  await response.body?.cancel();
}

export async function setIngestJobState(
  client: SalesforceClient,
  job: Pick<IngestJob, "id" | "object">,
  state: "UploadComplete" | "Aborted",
): Promise<IngestJob> {
  return client.json<IngestJob>({
    method: "PATCH",
    path: `jobs/ingest/${job.id}`,
    kind: state === "UploadComplete" ? "bulkIngestClose" : "bulkIngestAbort",
    object: job.object,
    headers: JSON_HEADERS,
    body: JSON.stringify({ state }),
  });
}

export async function getIngestJob(
  client: SalesforceClient,
  jobId: string,
  object?: string,
): Promise<IngestJob> {
  return client.json<IngestJob>({
    method: "GET",
    path: `jobs/ingest/${jobId}`,
    kind: "bulkIngestPoll",
    object,
  });
}

export async function deleteIngestJob(
  client: SalesforceClient,
  jobId: string,
  object?: string,
): Promise<void> {
  await client.json({ method: "DELETE", path: `jobs/ingest/${jobId}`, kind: "bulkIngestDelete", object });
}

/** Stream one of a finished job's result files (CSV; header-only when empty). */
export async function openIngestResults(
  client: SalesforceClient,
  job: Pick<IngestJob, "id" | "object">,
  kind: IngestResultKind,
): Promise<ReadableStream<Uint8Array>> {
  const response = await client.request({
    method: "GET",
    path: `jobs/ingest/${job.id}/${kind}`,
    kind: "bulkIngestResults",
    object: job.object,
    headers: { Accept: "text/csv" },
  });
  if (!response.body) return new ReadableStream({ start: (controller) => controller.close() });
  return response.body;
}
