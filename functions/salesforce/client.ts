// functions/salesforce/: the Salesforce client the core uses: OAuth flows, REST, Bulk API 2.0, describe
import { createHash } from "node:crypto";
import { ConfigurationError, RateLimitError, type SaddleError, TransientError } from "../errors";
import { login, type Session } from "./auth";
import type { SalesforceCredentials } from "./credentials";

export const DEFAULT_API_VERSION = "62.0";

/** What a request is for: API calls are counted per kind (the manifest and the benchmarks report them). */
export type CallKind =
  | "describeGlobal"
  | "describe"
  | "composite"
  | "limits"
  | "query"
  | "queryMore"
  | "bulkQueryCreate"
  | "bulkQueryPoll"
  | "bulkQueryResults"
  | "bulkQueryDelete"
  | "bulkQueryAbort"
  | "bulkIngestCreate"
  | "bulkIngestUpload"
  | "bulkIngestClose"
  | "bulkIngestPoll"
  | "bulkIngestResults"
  | "bulkIngestAbort"
  | "bulkIngestDelete"
  | "collections"
  | "sobject"
  | "getDeleted"
  | "other";

export type RequestBody = string | Uint8Array | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

export interface SalesforceRequest {
  method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  /** A path under `/services/data/vXX.X/` (no leading slash), or an absolute path (`/services/…`). */
  path: string;
  kind: CallKind;
  query?: Record<string, string | number | undefined>;
  body?: RequestBody;
  headers?: Record<string, string>;
  /** The Salesforce object the call is about, for error messages. */
  object?: string;
}

export interface SalesforceClientOptions {
  credentials: SalesforceCredentials;
  apiVersion?: string;
  /** Time to wait for response headers. Bodies stream without a total limit. */
  requestTimeoutMs?: number;
  /** Extra attempts for idempotent GETs that fail before their body starts (5xx, network). */
  getRetries?: number;
  /** Delay before the first GET retry; doubles each time. */
  retryDelayMs?: number;
}

/** The org's clock and API usage as its responses told them (with when we heard, locally). */
interface OrgObservations {
  serverClock?: { serverMs: number; localMs: number };
  usage?: { used: number; max: number; localMs: number };
}

interface SalesforceErrorBody {
  message?: string;
  errorCode?: string;
  fields?: string[];
}

// Sessions survive across client instances in a warm Lambda. Keyed by who logs in where, never by the
// secret values themselves.
const sessions = new Map<string, Promise<Session>>();

function sessionKey(credentials: SalesforceCredentials): string {
  const who = "username" in credentials ? credentials.username : "";
  return createHash("sha256")
    .update([credentials.authFlow, credentials.loginUrl, credentials.clientId, who].join("\n"))
    .digest("hex");
}

/** Forget every cached session (tests, and credential rotation). */
export function clearSessionCache(): void {
  sessions.clear();
}

function isReplayable(body: RequestBody | undefined): boolean {
  return body === undefined || typeof body === "string" || body instanceof Uint8Array;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The one place that speaks HTTP to Salesforce after login: adds the session, logs in again once on
 * `INVALID_SESSION_ID`, retries idempotent GETs on transient failures, maps every error onto the
 * connector's hierarchy, counts API calls by kind and tracks the org's clock from the `Date` header.
 */
export class SalesforceClient {
  readonly apiVersion: string;
  readonly credentials: SalesforceCredentials;
  private readonly options: SalesforceClientOptions;
  private readonly requestTimeoutMs: number;
  private readonly getRetries: number;
  private readonly retryDelayMs: number;
  private readonly callCounts = new Map<CallKind, number>();
  /** What the org told us about itself: shared by every view of this client. */
  private readonly observed: OrgObservations;

  constructor(options: SalesforceClientOptions, observed: OrgObservations = {}) {
    this.observed = observed;
    this.options = options;
    this.credentials = options.credentials;
    this.apiVersion = options.apiVersion ?? DEFAULT_API_VERSION;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 120_000;
    this.getRetries = options.getRetries ?? 2;
    this.retryDelayMs = options.retryDelayMs ?? 500;
  }

  /**
   * The same client (session, org clock, usage) with its own call counter, so that work running side
   * by side (objects of one sync) each count exactly their own calls.
   */
  withOwnCounter(): SalesforceClient {
    return new SalesforceClient(this.options, this.observed);
  }

  /** API calls sent so far, by kind (login requests are not API calls and are not counted). */
  get calls(): Readonly<Record<string, number>> {
    return Object.fromEntries(this.callCounts);
  }

  get totalCalls(): number {
    let total = 0;
    for (const count of this.callCounts.values()) total += count;
    return total;
  }

  /**
   * The org's current time (epoch ms) as told by the last response's `Date` header plus the time
   * elapsed here since; falls back to the local clock before any response. Windows are computed from
   * the org's clock so that a skewed local clock cannot skip rows.
   */
  serverNow(): number {
    if (!this.observed.serverClock) return Date.now();
    return this.observed.serverClock.serverMs + (Date.now() - this.observed.serverClock.localMs);
  }

  /** Milliseconds since the last response from the org (Infinity before any). */
  lastResponseAgeMs(): number {
    return this.observed.serverClock
      ? Date.now() - this.observed.serverClock.localMs
      : Number.POSITIVE_INFINITY;
  }

  /**
   * Daily API requests used and allowed, as the last REST response's `Sforce-Limit-Info` header told
   * (free: no call), with its age.
   */
  apiUsage(): { used: number; max: number; ageMs: number } | undefined {
    if (!this.observed.usage) return undefined;
    return {
      used: this.observed.usage.used,
      max: this.observed.usage.max,
      ageMs: Date.now() - this.observed.usage.localMs,
    };
  }

  /** The absolute URL path of a data API resource. */
  dataPath(relative: string): string {
    return `/services/data/v${this.apiVersion}/${relative.replace(/^\/+/, "")}`;
  }

  async session(): Promise<Session> {
    const key = sessionKey(this.credentials);
    let pending = sessions.get(key);
    if (!pending) {
      pending = login(this.credentials);
      sessions.set(key, pending);
      pending.catch(() => {
        if (sessions.get(key) === pending) sessions.delete(key);
      });
    }
    return pending;
  }

  /** Drop the session that failed — not a newer one another request already obtained. */
  private async invalidate(session: Session): Promise<void> {
    const key = sessionKey(this.credentials);
    const pending = sessions.get(key);
    const current = await pending?.catch(() => undefined);
    if (current?.accessToken === session.accessToken && sessions.get(key) === pending) sessions.delete(key);
  }

  /** Send a request; resolves with a successful (2xx) response whose body the caller consumes. */
  async request(request: SalesforceRequest): Promise<Response> {
    let relogged = false;
    let attempt = 0;
    for (;;) {
      const session = await this.session();
      let response: Response;
      try {
        response = await this.send(session, request);
      } catch (error) {
        if (request.method === "GET" && attempt < this.getRetries) {
          await sleep(this.retryDelayMs * 2 ** attempt++);
          continue;
        }
        throw error;
      }
      if (response.ok) return response;
      const text = await response.text().catch(() => "");
      const error = this.mapError(response.status, text, request);
      if (error.code === "INVALID_SESSION_ID" && !relogged) {
        relogged = true;
        await this.invalidate(session);
        if (isReplayable(request.body)) continue;
        throw new TransientError(
          "The Salesforce session expired during an upload; logged in again, the upload will be retried.",
          { code: error.code, status: 401 },
        );
      }
      if (error instanceof TransientError && request.method === "GET" && attempt < this.getRetries) {
        await sleep(this.retryDelayMs * 2 ** attempt++);
        continue;
      }
      throw error;
    }
  }

  /** Send a request and parse its JSON body (undefined for 204 / empty bodies). */
  async json<T>(request: SalesforceRequest): Promise<T> {
    const response = await this.request(request);
    const text = await this.readText(response, request);
    if (text.length === 0) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch (cause) {
      throw new TransientError(`Salesforce returned a response that is not JSON for ${request.kind}.`, {
        status: response.status,
        cause,
      });
    }
  }

  /** Read a whole (small) body as text; a connection dropped mid-body is transient. */
  async readText(response: Response, request: Pick<SalesforceRequest, "kind">): Promise<string> {
    try {
      return await response.text();
    } catch (cause) {
      throw new TransientError(
        `The connection to Salesforce dropped while reading the ${request.kind} response.`,
        {
          cause,
        },
      );
    }
  }

  private async send(session: Session, request: SalesforceRequest): Promise<Response> {
    const path = request.path.startsWith("/") ? request.path : this.dataPath(request.path);
    // The access token goes only to the instance's own API paths (a next-page URL from a response is
    // followed only when it is host-relative).
    if (!path.startsWith("/services/")) {
      throw new ConfigurationError(
        `Refusing to send the Salesforce session to ${JSON.stringify(path.slice(0, 80))}.`,
      );
    }
    const url = new URL(path, `${session.instanceUrl}/`);
    for (const [name, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    const headers: Record<string, string> = {
      Authorization: `Bearer ${session.accessToken}`,
      Accept: "application/json",
      ...request.headers,
    };
    let body: RequestInit["body"];
    const init: RequestInit & { duplex?: "half" } = { method: request.method, headers };
    if (request.body !== undefined) {
      if (typeof request.body === "string" || request.body instanceof Uint8Array) {
        body = request.body as RequestInit["body"];
      } else {
        body =
          request.body instanceof ReadableStream
            ? request.body
            : (ReadableStream.from(request.body) as ReadableStream<Uint8Array>);
        init.duplex = "half";
        // A streamed body cannot be replayed on a redirect anyway; without this, undici's fetch tees it
        // for one and keeps every chunk sent (nodejs/undici#4058).
        (init as RequestInit & { window?: null }).window = null;
        init.redirect = "error";
      }
      init.body = body;
    }
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.requestTimeoutMs);
    init.signal = controller.signal;
    this.callCounts.set(request.kind, (this.callCounts.get(request.kind) ?? 0) + 1);
    let response: Response;
    try {
      response = await fetch(url, init);
    } catch (cause) {
      const reason = controller.signal.aborted
        ? `no response within ${Math.round(this.requestTimeoutMs / 1000)} s`
        : "the connection failed";
      throw new TransientError(`Salesforce ${request.kind} request failed: ${reason}.`, {
        object: request.object,
        cause,
      });
    } finally {
      clearTimeout(timer);
    }
    const date = response.headers.get("date");
    const serverMs = date ? Date.parse(date) : Number.NaN;
    if (Number.isFinite(serverMs)) this.observed.serverClock = { serverMs, localMs: Date.now() };
    const usage = /api-usage=(\d+)\/(\d+)/.exec(response.headers.get("sforce-limit-info") ?? "");
    if (usage) this.observed.usage = { used: Number(usage[1]), max: Number(usage[2]), localMs: Date.now() };
    return response;
  }

  /** Map a Salesforce error response onto the connector's error hierarchy, with a message that helps. */
  mapError(status: number, text: string, request: SalesforceRequest): SaddleError {
    let body: SalesforceErrorBody | undefined;
    try {
      const parsed = JSON.parse(text) as unknown;
      body = (Array.isArray(parsed) ? parsed[0] : parsed) as SalesforceErrorBody | undefined;
    } catch {
      body = undefined;
    }
    const code = body?.errorCode;
    const message = (body?.message ?? text.slice(0, 300)).trim() || `HTTP ${status}`;
    const details = { code, status, object: request.object, field: body?.fields?.[0] };
    const where = request.object ? ` (${request.object})` : "";
    if (code === "REQUEST_LIMIT_EXCEEDED" || status === 429) {
      return new RateLimitError(
        `Salesforce refused ${request.kind}${where}: ${message} The org's API limit is exhausted; the run will back off and retry, and fails if the limit stays exhausted.`,
        details,
      );
    }
    if (code === "INVALID_SESSION_ID" || status === 401) {
      return new TransientError(`Salesforce session expired or invalid (${request.kind}).`, {
        ...details,
        code: code ?? "INVALID_SESSION_ID",
      });
    }
    if (status >= 500 || code === "SERVER_UNAVAILABLE" || code === "UNABLE_TO_LOCK_ROW") {
      return new TransientError(
        `Salesforce ${request.kind}${where} failed with HTTP ${status}: ${message}`,
        details,
      );
    }
    return new ConfigurationError(
      `Salesforce refused ${request.kind}${where} with HTTP ${status}${code ? ` ${code}` : ""}: ${message}`,
      details,
    );
  }
}
