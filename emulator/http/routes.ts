/**
 * The route table of `/services/data/vXX.X/…`: path patterns, the methods each allows, and the
 * route kind (for counters and faults) and handler of each.
 */
import type { BulkIngests } from "./bulk-ingest";
import type { BulkQueries } from "./bulk-query";
import type { RequestContext } from "./context";
import type { Reply } from "./reply";
import type { RestCollections } from "./rest-collections";
import type { RestQueries } from "./rest-query";
import type { RestReplication } from "./rest-replication";
import type { RestSObjects } from "./rest-sobjects";
import type { RouteKind } from "./route-kind";

export type Handler = (ctx: RequestContext) => Reply | Promise<Reply>;

export interface Endpoint {
  kind: RouteKind;
  handler: Handler;
}

interface Route {
  segments: string[];
  methods: Record<string, Endpoint>;
}

export interface Handlers {
  resources: Handler;
  limits: Handler;
  composite: Handler;
  sobjects: RestSObjects;
  queries: RestQueries;
  collections: RestCollections;
  replication: RestReplication;
  bulkQueries: BulkQueries;
  bulkIngests: BulkIngests;
}

export function apiRoutes(h: Handlers): Route[] {
  const r = (pattern: string, methods: Record<string, Endpoint>): Route => ({
    segments: pattern === "" ? [] : pattern.split("/"),
    methods,
  });
  const e = (kind: RouteKind, handler: Handler): Endpoint => ({ kind, handler });
  const { sobjects, queries, collections, bulkQueries: bq, bulkIngests: bi } = h;
  return [
    r("", { GET: e("resources", h.resources) }),
    r("limits", { GET: e("limits", h.limits) }),
    r("sobjects", { GET: e("describeGlobal", (c) => sobjects.describeGlobal(c)) }),
    r("sobjects/:object/describe", { GET: e("describe", (c) => sobjects.describe(c)) }),
    r("sobjects/:object", {
      GET: e("sobjectInfo", (c) => sobjects.info(c)),
      POST: e("recordCreate", (c) => sobjects.create(c)),
    }),
    // Before `sobjects/:object/:id`, which would otherwise read "deleted" as a record Id.
    r("sobjects/:object/deleted", { GET: e("getDeleted", (c) => h.replication.deleted(c)) }),
    r("sobjects/:object/:id", {
      GET: e("recordRead", (c) => sobjects.read(c)),
      PATCH: e("recordUpdate", (c) => sobjects.update(c)),
      DELETE: e("recordDelete", (c) => sobjects.remove(c)),
    }),
    r("sobjects/:object/:first/:second", {
      GET: e("blob", (c) => sobjects.readNested(c)),
      PATCH: e("recordUpsert", (c) => sobjects.upsert(c)),
    }),
    r("query", { GET: e("query", (c) => queries.run(c, false)) }),
    r("queryAll", { GET: e("query", (c) => queries.run(c, true)) }),
    r("query/:locator", { GET: e("queryMore", (c) => queries.more(c)) }),
    r("queryAll/:locator", { GET: e("queryMore", (c) => queries.more(c)) }),
    r("composite/batch", { POST: e("composite", h.composite) }),
    r("composite/sobjects", {
      POST: e("collections", (c) => collections.create(c)),
      PATCH: e("collections", (c) => collections.update(c)),
      DELETE: e("collections", (c) => collections.remove(c)),
    }),
    r("composite/sobjects/:object/:field", { PATCH: e("collections", (c) => collections.upsert(c)) }),
    r("jobs/query", {
      POST: e("bulkQueryCreate", (c) => bq.create(c)),
      GET: e("bulkQueryList", (c) => bq.list(c)),
    }),
    r("jobs/query/:jobId", {
      GET: e("bulkQueryPoll", (c) => bq.info(c)),
      PATCH: e("bulkQueryAbort", (c) => bq.patch(c)),
      DELETE: e("bulkQueryDelete", (c) => bq.remove(c)),
    }),
    r("jobs/query/:jobId/results", { GET: e("bulkQueryResults", (c) => bq.results(c)) }),
    r("jobs/query/:jobId/resultPages", { GET: e("bulkQueryResultPages", (c) => bq.resultPages(c)) }),
    r("jobs/ingest", {
      POST: e("bulkIngestCreate", (c) => bi.create(c)),
      GET: e("bulkIngestList", () => bi.list()),
    }),
    r("jobs/ingest/:jobId", {
      GET: e("bulkIngestPoll", (c) => bi.info(c)),
      PATCH: e("bulkIngestClose", (c) => bi.patch(c)),
      DELETE: e("bulkIngestDelete", (c) => bi.remove(c)),
    }),
    r("jobs/ingest/:jobId/batches", { PUT: e("bulkIngestUpload", (c) => bi.upload(c)) }),
    r("jobs/ingest/:jobId/successfulResults", {
      GET: e("bulkIngestResults", (c) => bi.successfulResults(c)),
    }),
    r("jobs/ingest/:jobId/failedResults", { GET: e("bulkIngestResults", (c) => bi.failedResults(c)) }),
    r("jobs/ingest/:jobId/unprocessedrecords", {
      GET: e("bulkIngestResults", (c) => bi.unprocessedRecords(c)),
    }),
  ];
}

export type RouteMatch =
  | { found: true; endpoint: Endpoint; params: Record<string, string> }
  | { found: false; allowed: string[] };

/** The first route whose pattern fits `segments` (literal segments must match exactly). */
export function matchRoute(routes: Route[], method: string, segments: string[]): RouteMatch {
  for (const route of routes) {
    if (route.segments.length !== segments.length) continue;
    const params: Record<string, string> = {};
    let fits = true;
    for (let i = 0; i < segments.length; i++) {
      const pattern = route.segments[i] as string;
      const segment = segments[i] as string;
      if (pattern.startsWith(":")) params[pattern.slice(1)] = segment;
      else if (pattern !== segment) {
        fits = false;
        break;
      }
    }
    if (!fits) continue;
    const endpoint = route.methods[method];
    if (endpoint === undefined) return { found: false, allowed: Object.keys(route.methods) };
    return { found: true, endpoint, params };
  }
  return { found: false, allowed: [] };
}
