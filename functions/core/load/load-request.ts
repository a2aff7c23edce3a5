import * as z from "zod";
import { ConfigurationError } from "../../errors";
import { INBOUND_OPERATIONS, type InboundOperation } from "../layout";

/**
 * What starts a load: the S3 "Object Created" event as EventBridge delivers it, or a manual request
 * typed into the Step Functions console. Both become one `LoadRequest`.
 */

/**
 * S3's "Object Created" event as EventBridge delivers it: the fields a load reads (the rest passes
 * through). `source` and `detail-type` are optional here so a console user may paste just the detail;
 * the load trigger requires them.
 */
export const S3ObjectCreatedEvent = z
  .object({
    "detail-type": z.string().optional(),
    source: z.string().optional(),
    detail: z
      .object({
        bucket: z.object({ name: z.string().min(1) }).passthrough(),
        object: z
          .object({
            key: z.string().min(1),
            size: z.number().optional(),
            etag: z.string().optional(),
            "version-id": z.string().optional(),
          })
          .passthrough(),
      })
      .passthrough(),
  })
  .passthrough();

const operation = z.string().transform((value, context) => {
  const known = INBOUND_OPERATIONS.find((op) => op.toLowerCase() === value.toLowerCase());
  if (!known) {
    context.addIssue({ code: "custom", message: `must be one of ${INBOUND_OPERATIONS.join(", ")}` });
    return z.NEVER;
  }
  return known;
});

const ManualRequest = z
  .object({
    bucket: z.string().min(1),
    key: z.string().min(1),
    object: z.string().min(1).optional(),
    operation: operation.optional(),
    externalIdField: z.string().min(1).optional(),
    /** Take over a claim whose run failed (never one that is loading or finished). */
    retry: z.boolean().optional(),
    /** Pin the version to load; else the object's current versionId / ETag is read. */
    versionId: z.string().min(1).optional(),
    etag: z.string().min(1).optional(),
    /** Validate and plan only: nothing is sent and no claim is taken (a file under `dry-run/` is one too). */
    dryRun: z.boolean().optional(),
    /** Send only update/upsert rows that change a field (default: the connection's `load.skipUnchanged`). */
    skipUnchanged: z.boolean().optional(),
  })
  .strict();

export interface LoadRequest {
  bucket: string;
  /** The key as S3 stores it (decoded). */
  key: string;
  /** The key exactly as the event carried it, when that differs (used when the decoded key is not found). */
  rawKey?: string;
  etag?: string;
  versionId?: string;
  size?: number;
  object?: string;
  operation?: InboundOperation;
  externalIdField?: string;
  retry: boolean;
  /** Set by the request; absent: a file under a `dry-run/` folder is one, others are not. */
  dryRun?: boolean;
  skipUnchanged?: boolean;
  source: "event" | "manual";
}

/**
 * The folder that makes a file a dry run: `inbound/<Object>/<operation>[/<ExternalIdField>]/dry-run/<file>`.
 * Its results go under its own `results/…/dry-run/<file>/`; the file is never loaded.
 */
export const DRY_RUN_FOLDER = "dry-run";

/**
 * S3 writes keys into its event notifications form-URL-encoded (a space becomes `+`, `+` becomes
 * `%2B`); the EventBridge detail is treated the same way, as AWS's own event libraries do. A key that
 * does not decode (a stray `%`) is kept as it is.
 */
export function decodeEventKey(key: string): string {
  try {
    return decodeURIComponent(key.replace(/\+/g, "%20"));
  } catch {
    return key;
  }
}

const stripQuotes = (etag: string | undefined) => etag?.replace(/^"+|"+$/g, "");

/** The file a request names, for log lines; undefined when it names none (parseLoadRequest says why). */
export function requestedFileKey(input: unknown): string | undefined {
  if (typeof input !== "object" || input === null) return undefined;
  const event = S3ObjectCreatedEvent.safeParse(input);
  if (event.success) return decodeEventKey(event.data.detail.object.key);
  const key = (input as { key?: unknown }).key;
  return typeof key === "string" ? key : undefined;
}

export function parseLoadRequest(input: unknown): LoadRequest {
  if (typeof input === "object" && input !== null && "detail" in input) {
    const parsed = S3ObjectCreatedEvent.safeParse(input);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
      throw new ConfigurationError(
        `The load was started by an event that is not an S3 "Object Created" event (${problems.join("; ")}).`,
      );
    }
    const { bucket, object } = parsed.data.detail;
    const key = decodeEventKey(object.key);
    const request: LoadRequest = { bucket: bucket.name, key, retry: false, source: "event" };
    if (key !== object.key) request.rawKey = object.key;
    const etag = stripQuotes(object.etag);
    if (etag) request.etag = etag;
    if (object["version-id"]) request.versionId = object["version-id"];
    if (object.size !== undefined) request.size = object.size;
    return request;
  }
  const parsed = ManualRequest.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join(".") || "(request)"}: ${issue.message}`,
    );
    throw new ConfigurationError(
      `Invalid load request (${problems.join("; ")}). Start a load with { "bucket": "...", "key": "inbound/<Object>/<operation>/<file>" } and optionally "object", "operation", "externalIdField", "retry": true, "dryRun": true, "skipUnchanged": true.`,
    );
  }
  const manual = parsed.data;
  const request: LoadRequest = {
    bucket: manual.bucket,
    key: manual.key,
    retry: manual.retry ?? false,
    source: "manual",
  };
  if (manual.object) request.object = manual.object;
  if (manual.operation) request.operation = manual.operation;
  if (manual.externalIdField) request.externalIdField = manual.externalIdField;
  if (manual.versionId) request.versionId = manual.versionId;
  if (manual.dryRun !== undefined) request.dryRun = manual.dryRun;
  if (manual.skipUnchanged !== undefined) request.skipUnchanged = manual.skipUnchanged;
  const etag = stripQuotes(manual.etag);
  if (etag) request.etag = etag;
  return request;
}
