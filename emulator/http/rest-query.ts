/**
 * REST `query` / `queryAll` and `query/{locator}` (queryMore): pages of 200..2000 records
 * (`Sforce-Query-Options: batchSize=`), `nextRecordsUrl` `/services/data/vXX.X/query/01g…-2000`
 * absent on the last page, `totalSize` the whole query's count on every page; with `columns=true`, the
 * query's column metadata instead.
 */
import type { QueryResult, ResultRow } from "../org/types";
import { ApiError } from "./api-error";
import type { RequestContext, Services } from "./context";
import { IdSequence } from "./ids";
import { orgCall } from "./org-errors";
import { queryColumns } from "./query-columns";
import { json, type Reply } from "./reply";
import { type JsonRecord, restRecordFormatter } from "./rest-records";

const DEFAULT_BATCH = 2000;
const MIN_BATCH = 200;
const MAX_BATCH = 2000;
const MAX_OPEN_CURSORS = 1000;

interface Cursor {
  result: QueryResult;
  format: (row: ResultRow) => JsonRecord;
  iterator: Iterator<ResultRow>;
  /** Rows handed out so far through `iterator`. */
  position: number;
  /** A row read ahead to learn whether the page was the last. */
  lookahead: ResultRow | undefined;
  batchSize: number;
}

/** The batch size a `Sforce-Query-Options` header asks for, clamped to what Salesforce allows. */
export function batchSizeOf(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header.join(",") : header;
  const match = value === undefined ? null : /batchSize\s*=\s*(\d+)/i.exec(value);
  if (match === null) return undefined;
  return Math.min(MAX_BATCH, Math.max(MIN_BATCH, Number(match[1])));
}

export class RestQueries {
  private readonly cursors = new Map<string, Cursor>();
  private readonly ids = new IdSequence("01g");

  constructor(private readonly services: Services) {}

  /** GET query?q= and queryAll?q= */
  run(ctx: RequestContext, includeDeleted: boolean): Reply {
    const soql = ctx.query.get("q");
    if (soql === null || soql.trim() === "") {
      throw new ApiError(400, "MALFORMED_QUERY", "A query string has to be specified");
    }
    const org = this.services.org;
    const result = orgCall(() => org.query(soql, { includeDeleted }));
    if (ctx.query.get("columns") === "true")
      return json(
        200,
        orgCall(() => queryColumns(org, result)),
      );
    const cursor: Cursor = {
      result,
      format: orgCall(() => restRecordFormatter(org, result, ctx.version)),
      iterator: result.rows()[Symbol.iterator](),
      position: 0,
      lookahead: undefined,
      batchSize: batchSizeOf(ctx.headers["sforce-query-options"]) ?? DEFAULT_BATCH,
    };
    return this.page(ctx, this.ids.next(), cursor, 0);
  }

  /** GET query/{locator}: the next page of an open cursor. */
  more(ctx: RequestContext): Reply {
    const locator = ctx.params.locator ?? "";
    const match = /^(01g[a-zA-Z0-9]{15})-(\d+)$/.exec(locator);
    const cursor = match === null ? undefined : this.cursors.get(match[1] as string);
    if (match === null || cursor === undefined) {
      throw new ApiError(400, "INVALID_QUERY_LOCATOR", "invalid query locator");
    }
    const batch = batchSizeOf(ctx.headers["sforce-query-options"]);
    if (batch !== undefined) cursor.batchSize = batch;
    return this.page(ctx, match[1] as string, cursor, Number(match[2]));
  }

  private page(ctx: RequestContext, cursorId: string, cursor: Cursor, offset: number): Reply {
    if (offset !== cursor.position) this.rewind(cursor, offset);
    const records: JsonRecord[] = [];
    while (records.length < cursor.batchSize) {
      const row = orgCall(() => this.read(cursor));
      if (row === undefined) break;
      records.push(orgCall(() => cursor.format(row)));
    }
    if (cursor.lookahead === undefined) {
      const next = cursor.iterator.next();
      if (!next.done) cursor.lookahead = next.value;
    }
    const done = cursor.lookahead === undefined;
    const body: Record<string, unknown> = { totalSize: cursor.result.totalSize, done, records };
    // The cursor stays open after the last page so that any page can be read again.
    if (!done) body.nextRecordsUrl = `/services/data/v${ctx.version}/query/${cursorId}-${cursor.position}`;
    this.keep(cursorId, cursor);
    return json(200, body);
  }

  private read(cursor: Cursor): ResultRow | undefined {
    let row = cursor.lookahead;
    if (row !== undefined) {
      cursor.lookahead = undefined;
    } else {
      const next = cursor.iterator.next();
      if (next.done) return undefined;
      row = next.value;
    }
    cursor.position += 1;
    return row;
  }

  /** Re-reading an earlier page (or skipping ahead) restarts the iteration at `offset`. */
  private rewind(cursor: Cursor, offset: number): void {
    cursor.iterator = cursor.result.rows()[Symbol.iterator]();
    cursor.lookahead = undefined;
    cursor.position = 0;
    while (cursor.position < offset && this.read(cursor) !== undefined) {
      // skipping to offset
    }
  }

  private keep(id: string, cursor: Cursor): void {
    this.cursors.delete(id);
    this.cursors.set(id, cursor);
    if (this.cursors.size > MAX_OPEN_CURSORS) {
      const oldest = this.cursors.keys().next().value;
      if (oldest !== undefined) this.cursors.delete(oldest);
    }
  }
}
