/**
 * Every kind of request the emulator tells apart: the unit of its call counters and of fault
 * matching.
 */
export const ROUTE_KINDS = [
  "oauth",
  "oauthRevoke",
  "identity",
  "versions",
  "resources",
  "describeGlobal",
  "describe",
  "sobjectInfo",
  "getDeleted",
  "limits",
  "query",
  "queryMore",
  "recordRead",
  "recordCreate",
  "recordUpdate",
  "recordUpsert",
  "recordDelete",
  "blob",
  "composite",
  "collections",
  "bulkQueryCreate",
  "bulkQueryList",
  "bulkQueryPoll",
  "bulkQueryAbort",
  "bulkQueryDelete",
  "bulkQueryResults",
  "bulkQueryResultPages",
  "bulkIngestCreate",
  "bulkIngestList",
  "bulkIngestUpload",
  "bulkIngestClose",
  "bulkIngestPoll",
  "bulkIngestDelete",
  "bulkIngestResults",
  "notFound",
] as const;

export type RouteKind = (typeof ROUTE_KINDS)[number];

/** Kinds that are not API requests (they spend no DailyApiRequests and count apart). */
export const NON_API_KINDS: ReadonlySet<RouteKind> = new Set(["oauth", "oauthRevoke", "versions"]);

export function isRouteKind(value: string): value is RouteKind {
  return (ROUTE_KINDS as readonly string[]).includes(value);
}
