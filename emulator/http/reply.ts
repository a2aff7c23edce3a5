/**
 * What a route handler answers. Handlers return a Reply instead of writing to the socket so that
 * `composite/batch` can run them as sub-requests and faults can cut a body short.
 */
import type { ApiError } from "./api-error";

export type Headers = Record<string, string | number>;

export interface Reply {
  status: number;
  headers?: Headers;
  /** JSON-serialised unless it is a string or a Buffer. */
  body?: unknown;
  /**
   * A body too large to build at once (Bulk results): written chunk by chunk with backpressure.
   * `length`, when known, is the exact byte count sent as Content-Length (else the body is chunked).
   */
  stream?: { length?: number; write: (out: BodyWriter) => Promise<void> };
}

/** Where a streamed body goes: resolves when the chunk may be followed by the next. */
export interface BodyWriter {
  write(chunk: Buffer): Promise<void>;
}

export const JSON_TYPE = "application/json;charset=UTF-8";
export const CSV_TYPE = "text/csv";

export function json(status: number, body: unknown, headers: Headers = {}): Reply {
  return { status, body, headers: { "Content-Type": JSON_TYPE, ...headers } };
}

export function noContent(status = 204): Reply {
  return { status };
}

export function errorReply(error: ApiError): Reply {
  return json(error.httpStatus, error.toBody());
}

/** Serialises a body to the bytes that go on the wire. */
export function encodeBody(reply: Reply): Buffer | undefined {
  if (reply.body === undefined) return undefined;
  if (Buffer.isBuffer(reply.body)) return reply.body;
  if (typeof reply.body === "string") return Buffer.from(reply.body, "utf8");
  return Buffer.from(JSON.stringify(reply.body), "utf8");
}
