/**
 * What the emulator was asked: one entry per request (method, path, query string, and the body of
 * the requests that carry a query: Bulk query job creation and composite batches), with the SOQL each
 * one sent. Tests read it to prove what a client never asked for (a blocked field in no SOQL). The
 * newest `limit` entries are kept.
 */
import type { RouteKind } from "./route-kind";

export interface LoggedRequest {
  method: string;
  path: string;
  kind: RouteKind | "control";
  /** The decoded query string (`?q=SELECT …`), empty when none. */
  query: string;
  /** The body, for the kinds that send a query in it (bulkQueryCreate, composite). */
  body?: string;
  /** The SOQL statements the request sent (REST `q`, a Bulk job's `query`, a composite batch's sub-requests). */
  soql: string[];
}

/** Kinds whose (small, JSON) body is kept: they carry SOQL. */
export const BODY_KINDS: ReadonlySet<string> = new Set(["bulkQueryCreate", "composite"]);

export class RequestLog {
  private items: LoggedRequest[] = [];

  constructor(private readonly limit = 20_000) {}

  /** Every request kept, oldest first. */
  get entries(): readonly LoggedRequest[] {
    return this.items;
  }

  /** Every SOQL statement sent, in order. */
  soql(): string[] {
    return this.items.flatMap((entry) => entry.soql);
  }

  record(entry: Omit<LoggedRequest, "soql">, url: URL): void {
    const soql: string[] = [];
    const q = url.searchParams.get("q");
    if (q !== null) soql.push(q);
    if (entry.body !== undefined && entry.body !== "") {
      try {
        const parsed = JSON.parse(entry.body) as {
          query?: unknown;
          batchRequests?: Array<{ url?: unknown }>;
        };
        if (typeof parsed.query === "string") soql.push(parsed.query);
        for (const sub of parsed.batchRequests ?? []) {
          if (typeof sub.url !== "string") continue;
          const inner = new URL(sub.url, url).searchParams.get("q");
          if (inner !== null) soql.push(inner);
        }
      } catch {
        // Not JSON: the raw body stays in the entry.
      }
    }
    this.items.push({ ...entry, soql });
    if (this.items.length > this.limit) this.items.splice(0, this.items.length - this.limit);
  }

  clear(): void {
    this.items = [];
  }
}
