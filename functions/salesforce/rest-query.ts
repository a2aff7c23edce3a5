import type { SalesforceClient } from "./client";

export interface QueryPage {
  totalSize: number;
  done: boolean;
  records: Array<Record<string, unknown>>;
  nextRecordsUrl?: string;
}

/** First page of a REST query (`queryAll` includes soft-deleted rows). */
export async function startRestQuery(
  client: SalesforceClient,
  request: { object: string; soql: string; includeDeleted: boolean; batchSize?: number },
): Promise<QueryPage> {
  return client.json<QueryPage>({
    method: "GET",
    path: request.includeDeleted ? "queryAll" : "query",
    kind: "query",
    object: request.object,
    query: { q: request.soql },
    headers: request.batchSize ? { "Sforce-Query-Options": `batchSize=${request.batchSize}` } : undefined,
  });
}

/** The next page, from a host-relative `nextRecordsUrl`. */
export async function nextRestQueryPage(
  client: SalesforceClient,
  request: { object: string; nextRecordsUrl: string; batchSize?: number },
): Promise<QueryPage> {
  return client.json<QueryPage>({
    method: "GET",
    path: request.nextRecordsUrl,
    kind: "queryMore",
    object: request.object,
    headers: request.batchSize ? { "Sforce-Query-Options": `batchSize=${request.batchSize}` } : undefined,
  });
}
