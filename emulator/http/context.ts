/**
 * What a route handler receives: the parsed request, the caller's session and the emulator's
 * shared state.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { Org } from "../org/types";
import { ApiError, unsupportedMediaType } from "./api-error";
import type { CallCounter } from "./call-counter";
import type { Faults } from "./faults";
import type { Limits } from "./limits";
import type { Session, Sessions } from "./sessions";
import type { Timers } from "./timers";

export interface BulkSettings {
  /** How long a new job waits before it is InProgress. */
  queuedMs: number;
  /** Extra processing time per 10,000 rows. */
  processingMsPer10k: number;
  /** Rows per results page when the client gives no maxRecords. */
  defaultPageRows: number;
}

export interface Services {
  org: Org;
  limits: Limits;
  sessions: Sessions;
  faults: Faults;
  calls: CallCounter;
  timers: Timers;
  seed: number;
  /** Newest API version served, e.g. "62.0". */
  apiVersion: string;
  bulk: BulkSettings;
  /** http://127.0.0.1:PORT */
  url(): string;
}

export interface RequestContext {
  method: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
  params: Record<string, string>;
  /** API version of the request, e.g. "62.0" (empty outside /services/data/vXX.X). */
  version: string;
  headers: IncomingHttpHeaders;
  /** Undefined only for routes that need no session. */
  session: Session | undefined;
  /** The raw request body, read once; ApiError 413 beyond `maxBytes`. */
  body(maxBytes?: number): Promise<Buffer>;
}

const MAX_JSON_BYTES = 50 * 1024 * 1024;

export function requireSession(ctx: RequestContext): Session {
  if (ctx.session === undefined) throw new ApiError(401, "INVALID_SESSION_ID", "Session expired or invalid");
  return ctx.session;
}

/** The request body as JSON; 415 for a non-JSON content type, 400 JSON_PARSER_ERROR when malformed. */
export async function jsonBody(ctx: RequestContext): Promise<unknown> {
  const type = ctx.headers["content-type"];
  if (type !== undefined && !/^application\/json\b/i.test(type))
    throw unsupportedMediaType(type.split(";")[0] ?? type);
  const raw = await ctx.body();
  if (raw.length > MAX_JSON_BYTES)
    throw new ApiError(413, "REQUEST_ENTITY_TOO_LARGE", "Request body too large");
  const text = raw.toString("utf8");
  if (text.trim() === "") throw new ApiError(400, "JSON_PARSER_ERROR", "The request body is empty.");
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ApiError(400, "JSON_PARSER_ERROR", `Malformed JSON: ${(error as Error).message}`);
  }
}

/** A JSON object body; 400 when it is another JSON value. */
export async function jsonObjectBody(ctx: RequestContext): Promise<Record<string, unknown>> {
  const body = await jsonBody(ctx);
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ApiError(400, "JSON_PARSER_ERROR", "Expected a JSON object as the request body.");
  }
  return body as Record<string, unknown>;
}
