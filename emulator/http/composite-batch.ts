/**
 * `POST composite/batch`: up to 25 sub-requests run in order, answered together as
 * `{hasErrors, results[{statusCode, result}]}`; `haltOnError` stops at the first failure.
 */
import { ApiError } from "./api-error";
import { jsonObjectBody, type RequestContext, requireSession } from "./context";
import { encodeBody, json, type Reply } from "./reply";
import type { Session } from "./sessions";

const MAX_SUBREQUESTS = 25;

export type SubRequestRunner = (
  method: string,
  path: string,
  body: unknown,
  session: Session,
) => Promise<Reply>;

export async function runCompositeBatch(ctx: RequestContext, run: SubRequestRunner): Promise<Reply> {
  const session = requireSession(ctx);
  const body = await jsonObjectBody(ctx);
  const requests = body.batchRequests;
  if (!Array.isArray(requests) || requests.length === 0) {
    throw new ApiError(400, "INVALID_BATCH_REQUEST", "batchRequests is required and must not be empty");
  }
  if (requests.length > MAX_SUBREQUESTS) {
    throw new ApiError(
      400,
      "INVALID_BATCH_REQUEST",
      `A batch request can contain at most ${MAX_SUBREQUESTS} subrequests, but it contains ${requests.length}`,
    );
  }
  const haltOnError = body.haltOnError === true;
  const results: Array<{ statusCode: number; result: unknown }> = [];
  let hasErrors = false;
  for (const request of requests as Array<Record<string, unknown>>) {
    if (hasErrors && haltOnError) {
      results.push({
        statusCode: 412,
        result: [{ errorCode: "BATCH_PROCESSING_HALTED", message: "Batch processing halted per request" }],
      });
      continue;
    }
    const method = typeof request.method === "string" ? request.method.toUpperCase() : "GET";
    const url = typeof request.url === "string" ? request.url : "";
    const path = url.startsWith("/services/data/") ? url : `/services/data/${url.replace(/^\/+/, "")}`;
    const reply = await run(method, path, request.richInput, session);
    if (reply.status >= 400) hasErrors = true;
    results.push({ statusCode: reply.status, result: resultOf(reply) });
  }
  return json(200, { hasErrors, results });
}

function resultOf(reply: Reply): unknown {
  if (reply.stream !== undefined) return null;
  const bytes = encodeBody(reply);
  if (bytes === undefined || bytes.length === 0) return null;
  const text = bytes.toString("utf8");
  const type = String(reply.headers?.["Content-Type"] ?? "");
  return type.startsWith("application/json") ? JSON.parse(text) : text;
}
