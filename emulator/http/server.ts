// emulator/http/: the emulator's HTTP API: OAuth, REST, Collections, Bulk API 2.0, faults, controls
/**
 * The emulator's HTTP front on node:http: routing, authentication, limits, call counting, fault
 * injection, the org-clock `Date` header, and writing replies (streamed bodies with backpressure).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import {
  ApiError,
  invalidSession,
  methodNotAllowed,
  notFound,
  requestLimitExceeded,
  serverUnavailable,
} from "./api-error";
import { BulkIngests } from "./bulk-ingest";
import { BulkQueries } from "./bulk-query";
import { runCompositeBatch } from "./composite-batch";
import type { RequestContext, Services } from "./context";
import type { FaultAction } from "./faults";
import type { OAuthServer } from "./oauth";
import { type BodyWriter, encodeBody, errorReply, json, type Reply } from "./reply";
import { BODY_KINDS, type RequestLog } from "./request-log";
import { RestCollections } from "./rest-collections";
import { RestQueries } from "./rest-query";
import { RestReplication } from "./rest-replication";
import { RestSObjects } from "./rest-sobjects";
import type { RouteKind } from "./route-kind";
import { apiRoutes, type Endpoint, type Handler, matchRoute } from "./routes";
import { bearerToken, type Session } from "./sessions";
import { httpDate } from "./wire-dates";

/** `/__emulator/…` requests go to the control API, outside the Salesforce surface. */
export type ControlHandler = (method: string, path: string, body: () => Promise<unknown>) => Promise<Reply>;

export interface ServerOptions {
  services: Services;
  oauth: OAuthServer;
  control: ControlHandler;
  logRequests: boolean;
  /** Where every request is recorded (what tests read to see the SOQL sent). */
  requestLog?: RequestLog;
  /** Identity (`/id/{org}/{user}`) body for a session. */
  identity: (session: Session) => Record<string, unknown>;
  /** OpenID Connect UserInfo (`/services/oauth2/userinfo`) body for a session. */
  userInfo: (session: Session) => Record<string, unknown>;
}

const VERSION_PATH = /^\/services\/data\/v(\d+\.\d)(?:\/(.*))?$/;
const OLDEST_VERSION = 31;

class DroppedConnection extends Error {
  override readonly name = "DroppedConnection";
}

function releaseLabel(version: number): string {
  // v60.0 was Spring '24; three releases a year (Spring, Summer, Winter of the next year).
  const k = version - 60;
  const season = ((k % 3) + 3) % 3;
  const year = 24 + Math.floor(k / 3) + (season === 2 ? 1 : 0);
  return `${["Spring", "Summer", "Winter"][season]} '${String(year).padStart(2, "0")}`;
}

export class EmulatorServer {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly routes;
  private readonly services: Services;

  constructor(private readonly options: ServerOptions) {
    this.services = options.services;
    const sobjects = new RestSObjects(this.services);
    this.routes = apiRoutes({
      resources: (ctx) => this.resources(ctx),
      limits: () => json(200, this.services.limits.toJSON()),
      composite: (ctx) =>
        runCompositeBatch(ctx, (method, path, body, session) => this.subRequest(method, path, body, session)),
      sobjects,
      queries: new RestQueries(this.services),
      collections: new RestCollections(this.services),
      replication: new RestReplication(this.services),
      bulkQueries: new BulkQueries(this.services),
      bulkIngests: new BulkIngests(this.services),
    });
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        process.stderr.write(
          `emulator: request failed unexpectedly: ${(error as Error).stack ?? String(error)}\n`,
        );
        if (!res.headersSent) {
          res.statusCode = 500;
          res.setHeader("Date", this.orgDate());
          res.end();
        } else res.destroy();
      });
    });
    // Longer than clients' idle timeouts (undici: 4 s), so a client never reuses a socket the server
    // is closing, even when a long Bulk batch delayed the server's timers.
    this.server.keepAliveTimeout = 30_000;
    this.server.on("connection", (socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
  }

  listen(port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, "127.0.0.1", () => {
        this.server.off("error", reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.close((error) => (error ? reject(error) : resolve()));
      for (const socket of this.sockets) socket.destroy();
      this.sockets.clear();
    });
  }

  private orgDate(): string {
    return httpDate(this.services.org.clock.now());
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const method = (req.method ?? "GET").toUpperCase();
    const url = requestUrl(req.url ?? "/");
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, "") : url.pathname;
    let kind: RouteKind | "control" = "notFound";
    let status = 0;
    let bodyAsked = false;
    let body: (max?: number) => Promise<Buffer> = () => Promise.resolve(Buffer.alloc(0));
    try {
      const read = once((max) => readBody(req, max));
      body = (max) => {
        bodyAsked = true;
        return read(max);
      };
      if (path === "/__emulator" || path.startsWith("/__emulator/")) {
        kind = "control";
        const reply = await this.options.control(method, path.slice("/__emulator".length), async () => {
          const raw = await body(undefined);
          return raw.length === 0 ? {} : JSON.parse(raw.toString("utf8"));
        });
        status = await this.write(res, reply, undefined);
        return;
      }
      const resolved = this.resolve(method, path);
      kind = resolved.kind;
      this.services.calls.record(kind);
      const token = bearerToken(req.headers.authorization);
      const fault = this.services.faults.evaluate(kind, method, path);
      if (fault.delayMs > 0) await this.services.timers.sleep(fault.delayMs);
      const terminal = fault.terminal;
      if (terminal !== undefined && terminal.type !== "dropConnection") {
        if (terminal.type === "invalidSession" && token !== undefined)
          this.services.sessions.invalidate(token);
        status = await this.write(res, faultReply(terminal), undefined);
        return;
      }
      const drop = terminal?.type === "dropConnection" ? terminal : undefined;
      const reply = await this.serve(resolved, method, url, path, req, token, body);
      status = await this.write(res, reply, drop);
    } finally {
      if (this.options.requestLog !== undefined && kind !== "control") {
        let text: string | undefined;
        if (bodyAsked && BODY_KINDS.has(kind)) {
          // The handler read it already (once() keeps it): no second read of the socket.
          text = await body()
            .then((raw) => raw.toString("utf8"))
            .catch(() => undefined);
        }
        this.options.requestLog.record(
          {
            method,
            path,
            kind,
            query: [...url.searchParams].map(([key, value]) => `${key}=${value}`).join("&"),
            body: text,
          },
          url,
        );
      }
      if (this.options.logRequests) {
        const line = { method, path, kind, status, ms: Math.round(performance.now() - started) };
        process.stdout.write(`${JSON.stringify(line)}\n`);
      }
    }
  }

  private resolve(
    method: string,
    path: string,
  ):
    | { kind: RouteKind; special: "oauth" | "revoke" | "versions" | "identity" | "userinfo" }
    | { kind: RouteKind; version: string; endpoint: Endpoint; params: Record<string, string> }
    | { kind: RouteKind; error: ApiError } {
    if (path === "/services/oauth2/token") return { kind: "oauth", special: "oauth" };
    if (path === "/services/oauth2/revoke") return { kind: "oauthRevoke", special: "revoke" };
    if (path === "/services/data") return { kind: "versions", special: "versions" };
    if (/^\/id\/[^/]+\/[^/]+$/.test(path)) return { kind: "identity", special: "identity" };
    if (path === "/services/oauth2/userinfo") return { kind: "identity", special: "userinfo" };
    const match = VERSION_PATH.exec(path);
    if (match === null) return { kind: "notFound", error: notFound() };
    const version = match[1] as string;
    const number = Number(version);
    if (number > Number(this.services.apiVersion) || number < OLDEST_VERSION) {
      return { kind: "notFound", error: notFound() };
    }
    const segments = (match[2] ?? "")
      .split("/")
      .filter((s) => s !== "")
      .map(decodeSegment);
    const route = matchRoute(this.routes, method, segments);
    if (route.found)
      return { kind: route.endpoint.kind, version, endpoint: route.endpoint, params: route.params };
    if (route.allowed.length > 0) return { kind: "notFound", error: methodNotAllowed(method, route.allowed) };
    return { kind: "notFound", error: notFound() };
  }

  private async serve(
    resolved: ReturnType<EmulatorServer["resolve"]>,
    method: string,
    url: URL,
    path: string,
    req: IncomingMessage,
    token: string | undefined,
    body: (max?: number) => Promise<Buffer>,
  ): Promise<Reply> {
    try {
      if ("special" in resolved) {
        if (resolved.special === "oauth" || resolved.special === "revoke") {
          if (method !== "POST") return errorReply(methodNotAllowed(method, ["POST"]));
          const form = new URLSearchParams((await body(1_000_000)).toString("utf8"));
          if (resolved.special === "revoke") {
            this.services.sessions.invalidate(form.get("token") ?? "");
            return { status: 200 };
          }
          const answer = this.options.oauth.token(form);
          return json(answer.status, answer.body, {
            "Cache-Control": "no-cache,must-revalidate,max-age=0,no-store,private",
          });
        }
        if (resolved.special === "versions") return json(200, this.versions());
      }
      const session = token === undefined ? undefined : this.services.sessions.find(token);
      if (session === undefined)
        return withHeaders(errorReply(invalidSession()), { "WWW-Authenticate": "Token" });
      if (!this.services.limits.trySpend("DailyApiRequests")) return errorReply(requestLimitExceeded());
      const limitInfo = { "Sforce-Limit-Info": this.services.limits.usageHeader() };
      if ("special" in resolved) {
        if (resolved.special === "userinfo") {
          if (method !== "GET" && method !== "POST")
            return errorReply(methodNotAllowed(method, ["GET", "POST"]));
          return json(200, this.options.userInfo(session), limitInfo);
        }
        return json(200, this.options.identity(session), limitInfo);
      }
      if ("error" in resolved) return withHeaders(errorReply(resolved.error), limitInfo);
      const ctx: RequestContext = {
        method,
        path,
        query: url.searchParams,
        params: resolved.params,
        version: resolved.version,
        headers: req.headers,
        session,
        body,
      };
      return withHeaders(await runHandler(resolved.endpoint.handler, ctx), limitInfo);
    } catch (error) {
      if (error instanceof ApiError) return errorReply(error);
      throw error;
    }
  }

  /** A composite/batch sub-request: routed like a request, but not counted, faulted or charged. */
  private async subRequest(method: string, path: string, body: unknown, session: Session): Promise<Reply> {
    const [pathOnly, queryString] = splitQuery(path);
    const resolved = this.resolve(method, pathOnly.replace(/\/+$/, ""));
    if ("special" in resolved) return errorReply(notFound());
    if ("error" in resolved) return errorReply(resolved.error);
    const raw = body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(body), "utf8");
    const ctx: RequestContext = {
      method,
      path: pathOnly,
      query: new URLSearchParams(queryString),
      params: resolved.params,
      version: resolved.version,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      session,
      body: async () => raw,
    };
    return runHandler(resolved.endpoint.handler, ctx);
  }

  private versions(): Array<Record<string, string>> {
    const newest = Math.floor(Number(this.services.apiVersion));
    const out: Array<Record<string, string>> = [];
    for (let v = OLDEST_VERSION; v <= newest; v++) {
      out.push({ label: releaseLabel(v), url: `/services/data/v${v}.0`, version: `${v}.0` });
    }
    return out;
  }

  private resources(ctx: RequestContext): Reply {
    const base = `/services/data/v${ctx.version}`;
    const names = ["sobjects", "query", "queryAll", "limits", "composite", "jobs"];
    return json(200, Object.fromEntries(names.map((n) => [n, `${base}/${n}`])));
  }

  /** Writes a reply; with `drop`, stops after part of the body and destroys the socket. Returns the status. */
  private async write(
    res: ServerResponse,
    reply: Reply,
    drop: Extract<FaultAction, { type: "dropConnection" }> | undefined,
  ): Promise<number> {
    res.setHeader("Date", this.orgDate());
    for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
    const body = reply.stream === undefined ? encodeBody(reply) : undefined;
    const length = reply.stream === undefined ? (body?.length ?? 0) : reply.stream.length;
    if (length !== undefined && reply.status !== 204 && reply.status !== 304)
      res.setHeader("Content-Length", length);
    res.writeHead(reply.status);
    const limit =
      drop === undefined ? Number.POSITIVE_INFINITY : (drop.afterBytes ?? Math.floor((length ?? 2048) / 2));
    let sent = 0;
    const writer: BodyWriter = {
      write: (chunk) => {
        if (res.destroyed) return Promise.reject(new DroppedConnection("client went away"));
        const room = limit - sent;
        if (chunk.length >= room) {
          return new Promise((_, reject) => {
            res.write(chunk.subarray(0, Math.max(0, room)), () => res.socket?.destroy());
            reject(new DroppedConnection("connection dropped by a fault"));
          });
        }
        sent += chunk.length;
        return new Promise((resolve, reject) => {
          if (res.write(chunk)) resolve();
          else {
            const onDrain = (): void => {
              res.off("close", onClose);
              resolve();
            };
            const onClose = (): void => {
              res.off("drain", onDrain);
              reject(new DroppedConnection("client went away"));
            };
            res.once("drain", onDrain);
            res.once("close", onClose);
          }
        });
      },
    };
    try {
      if (body !== undefined && body.length > 0) await writer.write(body);
      else if (reply.stream !== undefined) await reply.stream.write(writer);
      if (drop !== undefined && !res.destroyed) {
        // The whole body fitted under the cut: still end with a broken connection.
        res.socket?.destroy();
        return reply.status;
      }
      res.end();
    } catch (error) {
      if (!(error instanceof DroppedConnection)) throw error;
    }
    return reply.status;
  }
}

async function runHandler(handler: Handler, ctx: RequestContext): Promise<Reply> {
  try {
    return await handler(ctx);
  } catch (error) {
    if (error instanceof ApiError) return errorReply(error);
    throw error;
  }
}

function withHeaders(reply: Reply, headers: Record<string, string>): Reply {
  return { ...reply, headers: { ...reply.headers, ...headers } };
}

function faultReply(action: FaultAction): Reply {
  switch (action.type) {
    case "serverUnavailable":
      return errorReply(serverUnavailable());
    case "requestLimitExceeded":
      return errorReply(requestLimitExceeded());
    case "invalidSession":
      return errorReply(invalidSession());
    case "serverError":
      return { status: action.status ?? 500 };
    default:
      return errorReply(serverUnavailable());
  }
}

/**
 * The request target as a URL. Salesforce ignores repeated slashes in a path, and clients that keep an
 * instance URL with a trailing slash (the sf CLI) send `//services/data/…`, which `new URL` would read
 * as a host name.
 */
function requestUrl(target: string): URL {
  const at = target.indexOf("?");
  const path = at === -1 ? target : target.slice(0, at);
  const query = at === -1 ? "" : target.slice(at);
  return new URL(path.replace(/\/{2,}/g, "/") + query, "http://127.0.0.1");
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch (error) {
    // A malformed escape is taken literally, as a lenient server would; it then matches nothing.
    if (error instanceof URIError) return segment;
    throw error;
  }
}

function splitQuery(path: string): [string, string] {
  const at = path.indexOf("?");
  return at === -1 ? [path, ""] : [path.slice(0, at), path.slice(at + 1)];
}

function once(read: (max?: number) => Promise<Buffer>): (max?: number) => Promise<Buffer> {
  let pending: Promise<Buffer> | undefined;
  return (max) => {
    pending ??= read(max);
    return pending;
  };
}

function readBody(req: IncomingMessage, maxBytes = 200 * 1024 * 1024): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        reject(new ApiError(413, "REQUEST_ENTITY_TOO_LARGE", `Request body exceeds ${maxBytes} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size)));
    req.on("error", reject);
  });
}
