import type { SalesforceClient } from "./client";
import { assertApiName } from "./soql";

/** The describeGlobal keys the connector reads. */
export interface GlobalObject {
  name: string;
  label: string;
  custom: boolean;
  queryable: boolean;
  retrieveable: boolean;
  replicateable: boolean;
  createable: boolean;
  updateable: boolean;
  deletable: boolean;
}

/** The describe field keys the connector reads. */
export interface DescribeField {
  name: string;
  label?: string;
  type: string;
  nillable: boolean;
  createable: boolean;
  updateable: boolean;
  calculated: boolean;
  externalId: boolean;
  idLookup: boolean;
  unique: boolean;
  filterable: boolean;
  defaultedOnCreate?: boolean;
  compoundFieldName: string | null;
  length?: number;
  precision?: number;
  scale?: number;
  picklistValues?: Array<{ value: string; active: boolean }>;
  restrictedPicklist?: boolean;
  referenceTo?: string[];
  relationshipName?: string | null;
}

export interface DescribeObject extends GlobalObject {
  fields: DescribeField[];
}

/** Composite batch takes at most 25 sub-requests per call. */
export const COMPOSITE_BATCH_LIMIT = 25;

export async function describeGlobal(client: SalesforceClient): Promise<GlobalObject[]> {
  const body = await client.json<{ sobjects: GlobalObject[] }>({
    method: "GET",
    path: "sobjects/",
    kind: "describeGlobal",
  });
  return body.sobjects;
}

export async function describeObject(client: SalesforceClient, object: string): Promise<DescribeObject> {
  // The name becomes a path segment: `..` would address another resource.
  assertApiName(object, "object");
  return client.json<DescribeObject>({
    method: "GET",
    path: `sobjects/${encodeURIComponent(object)}/describe/`,
    kind: "describe",
    object,
  });
}

export interface DescribeFailure {
  object: string;
  statusCode: number;
  errorCode?: string;
  message: string;
}

/**
 * Describe many objects in as few API calls as the API allows: one composite/batch call per 25
 * objects. Objects whose describe fails come back as failures, not thrown, so one bad object does not
 * hide the others.
 */
export async function describeMany(
  client: SalesforceClient,
  objects: string[],
): Promise<{ described: DescribeObject[]; failed: DescribeFailure[] }> {
  const described: DescribeObject[] = [];
  const failed: DescribeFailure[] = [];
  for (let start = 0; start < objects.length; start += COMPOSITE_BATCH_LIMIT) {
    const chunk = objects.slice(start, start + COMPOSITE_BATCH_LIMIT);
    const body = await client.json<{
      hasErrors: boolean;
      results: Array<{ statusCode: number; result: unknown }>;
    }>({
      method: "POST",
      path: "composite/batch",
      kind: "composite",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        batchRequests: chunk.map((object) => ({
          method: "GET",
          url: `v${client.apiVersion}/sobjects/${encodeURIComponent(object)}/describe/`,
        })),
      }),
    });
    chunk.forEach((object, index) => {
      const result = body.results[index];
      if (result && result.statusCode >= 200 && result.statusCode < 300) {
        described.push(result.result as DescribeObject);
      } else {
        const error = Array.isArray(result?.result)
          ? (result.result[0] as { errorCode?: string; message?: string })
          : undefined;
        failed.push({
          object,
          statusCode: result?.statusCode ?? 0,
          errorCode: error?.errorCode,
          message: error?.message ?? "no result returned for this sub-request",
        });
      }
    });
  }
  return { described, failed };
}
