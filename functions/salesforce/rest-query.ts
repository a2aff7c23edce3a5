import { ConfigurationError, TransientError } from "../errors";
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

/** Sub-requests one `composite/batch` call takes. */
const BATCH_QUERIES = 25;

/**
 * Several REST queries in as few API calls as the API allows: 25 at a time as the sub-requests of one
 * `composite/batch` call, then `queryMore` for any whose answer did not fit one page. Answers each
 * query's records, in order. A sub-request Salesforce refused is thrown as its error.
 */
export async function queryMany(
  client: SalesforceClient,
  request: { object: string; soqls: string[] },
): Promise<Array<Array<Record<string, unknown>>>> {
  const answers: Array<Array<Record<string, unknown>>> = [];
  for (let start = 0; start < request.soqls.length; start += BATCH_QUERIES) {
    const chunk = request.soqls.slice(start, start + BATCH_QUERIES);
    const body = await client.json<{ results: Array<{ statusCode: number; result: unknown }> }>({
      method: "POST",
      path: "composite/batch",
      kind: "composite",
      object: request.object,
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        batchRequests: chunk.map((soql) => ({
          method: "GET",
          url: `v${client.apiVersion}/query?q=${encodeURIComponent(soql)}`,
        })),
      }),
    });
    for (const [index, soql] of chunk.entries()) {
      const answer = body.results[index];
      if (answer === undefined || answer.statusCode < 200 || answer.statusCode >= 300) {
        const error = Array.isArray(answer?.result)
          ? (answer.result[0] as { errorCode?: string; message?: string } | undefined)
          : undefined;
        const status = answer?.statusCode ?? 0;
        const message = `A query of ${request.object} in a composite batch failed (${status} ${error?.errorCode ?? ""}: ${error?.message ?? "no answer"}): ${soql.slice(0, 200)}`;
        const details = {
          object: request.object,
          status,
          ...(error?.errorCode ? { code: error.errorCode } : {}),
        };
        if (status === 0 || status >= 500) throw new TransientError(message, details);
        throw new ConfigurationError(message, details);
      }
      let page = answer.result as QueryPage;
      const records = [...page.records];
      while (!page.done && page.nextRecordsUrl) {
        page = await nextRestQueryPage(client, {
          object: request.object,
          nextRecordsUrl: page.nextRecordsUrl,
        });
        records.push(...page.records);
      }
      answers.push(records);
    }
  }
  return answers;
}
