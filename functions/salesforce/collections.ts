import { ConfigurationError } from "../errors";
import type { SalesforceClient } from "./client";

/** sObject Collections take at most 200 records a call, one object type per call. */
export const COLLECTIONS_LIMIT = 200;

export type CollectionsOperation = "insert" | "update" | "upsert" | "delete";

export interface CollectionsResult {
  id: string | null;
  success: boolean;
  created?: boolean;
  errors: Array<{ statusCode: string; message: string; fields?: string[] }>;
}

/**
 * One sObject Collections call with `allOrNone=false`: one result per input, in input order. `records`
 * hold field values typed for JSON; for delete only their `Id` is used.
 */
export async function collections(
  client: SalesforceClient,
  request: {
    object: string;
    operation: CollectionsOperation;
    records: Array<Record<string, unknown>>;
    externalIdField?: string;
  },
): Promise<CollectionsResult[]> {
  const { object, operation, records } = request;
  if (records.length === 0) return [];
  if (records.length > COLLECTIONS_LIMIT) {
    throw new ConfigurationError(`sObject Collections take at most ${COLLECTIONS_LIMIT} records per call.`);
  }
  let results: CollectionsResult[];
  if (operation === "delete") {
    results = await client.json<CollectionsResult[]>({
      method: "DELETE",
      path: "composite/sobjects",
      kind: "collections",
      object,
      query: { ids: records.map((record) => String(record.Id)).join(","), allOrNone: "false" },
    });
  } else {
    const body = JSON.stringify({
      allOrNone: false,
      records: records.map((record) => ({ attributes: { type: object }, ...record })),
    });
    let path = "composite/sobjects";
    if (operation === "upsert") {
      if (!request.externalIdField)
        throw new ConfigurationError(`An upsert into ${object} needs an external id field.`);
      path = `composite/sobjects/${encodeURIComponent(object)}/${encodeURIComponent(request.externalIdField)}`;
    }
    results = await client.json<CollectionsResult[]>({
      method: operation === "insert" ? "POST" : "PATCH",
      path,
      kind: "collections",
      object,
      headers: { "Content-Type": "application/json" },
      body,
    });
  }
  if (!Array.isArray(results) || results.length !== records.length) {
    // Results are matched to inputs by position; a short answer would misattribute outcomes.
    throw new ConfigurationError(
      `sObject Collections returned ${Array.isArray(results) ? results.length : "no"} results for ${records.length} records of ${object}.`,
      { object },
    );
  }
  return results;
}
