/**
 * sObject Get Deleted (`GET sobjects/{Object}/deleted/?start=…&end=…`, API v29+): the Ids the org's
 * delete log holds for a window, soft and hard deletes alike, for at most 15 days back (less when the
 * recycle bin was emptied). The window covers whole minutes; `latestDateCovered` is where the next
 * window may start, so an Id can come back in two answers.
 *
 * The answers the caller must act on are results, not errors: a window that starts before the log's
 * `earliestDateAvailable` (INVALID_REPLICATION_DATE), more than 600,000 Ids (EXCEEDED_ID_LIMIT), an
 * object that is not replicateable. Anything else is thrown as the client sorts it.
 */
import { isSaddleError } from "../errors";
import type { SalesforceClient } from "./client";

export interface DeletedRecord {
  id: string;
  /** ISO-8601, as Salesforce writes it (`2026-03-01T10:00:00.000+0000`). */
  deletedDate: string;
}

export type DeletedAnswer =
  | { kind: "deleted"; records: DeletedRecord[]; earliestDateAvailable: string; latestDateCovered: string }
  /** The window starts before the oldest delete the log keeps: deletes before it may be lost. */
  | { kind: "too-old"; message: string }
  /** More Ids than one answer holds: ask again with narrower windows. */
  | { kind: "too-many"; message: string }
  /** The object has no delete log to read. */
  | { kind: "not-replicable"; message: string };

interface DeletedBody {
  deletedRecords?: DeletedRecord[];
  earliestDateAvailable?: string;
  latestDateCovered?: string;
}

/** A datetime as the replication resources take it: ISO 8601 with an explicit zone. */
function replicationDate(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "+00:00");
}

export async function getDeleted(
  client: SalesforceClient,
  request: { object: string; start: number; end: number },
): Promise<DeletedAnswer> {
  try {
    const body = await client.json<DeletedBody>({
      method: "GET",
      path: `sobjects/${request.object}/deleted/`,
      kind: "getDeleted",
      object: request.object,
      query: { start: replicationDate(request.start), end: replicationDate(request.end) },
    });
    return {
      kind: "deleted",
      records: body?.deletedRecords ?? [],
      earliestDateAvailable: body?.earliestDateAvailable ?? "",
      latestDateCovered: body?.latestDateCovered ?? "",
    };
  } catch (error) {
    if (!isSaddleError(error)) throw error;
    if (error.code === "INVALID_REPLICATION_DATE") return { kind: "too-old", message: error.message };
    if (error.code === "EXCEEDED_ID_LIMIT") return { kind: "too-many", message: error.message };
    if (error.code === "INVALID_TYPE") return { kind: "not-replicable", message: error.message };
    throw error;
  }
}
