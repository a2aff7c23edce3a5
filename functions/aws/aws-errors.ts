/**
 * Sorting SDK errors into the connector's hierarchy: what retrying can fix (throttling, 5xx, the network)
 * becomes `TransientError`; each adapter decides which of the rest are configuration errors.
 */
import { TransientError } from "../errors";

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  $retryable?: unknown;
}

const THROTTLING = new Set([
  "ThrottlingException",
  "Throttling",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "ProvisionedThroughputExceededException",
  "RequestThrottled",
  "RequestThrottledException",
  "SlowDown",
]);

const NETWORK_CODES = new Set(["ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", "EPIPE", "EAI_AGAIN"]);

const ACCESS_DENIED = new Set([
  "AccessDenied",
  "AccessDeniedException",
  "Forbidden",
  "UnrecognizedClientException",
]);

export function errorName(error: unknown): string {
  const shape = error as SdkErrorShape | undefined;
  return typeof shape?.name === "string" ? shape.name : "Error";
}

export function httpStatusOf(error: unknown): number | undefined {
  const status = (error as SdkErrorShape | undefined)?.$metadata?.httpStatusCode;
  return typeof status === "number" ? status : undefined;
}

export function isAccessDenied(error: unknown): boolean {
  return ACCESS_DENIED.has(errorName(error)) || httpStatusOf(error) === 403;
}

export function isTransientAwsError(error: unknown): boolean {
  const shape = error as SdkErrorShape | undefined;
  if (shape === undefined || shape === null) return false;
  const status = httpStatusOf(error);
  return (
    THROTTLING.has(errorName(error)) ||
    shape.$fault === "server" ||
    shape.$retryable !== undefined ||
    (status !== undefined && (status >= 500 || status === 429)) ||
    errorName(error) === "TimeoutError" ||
    (typeof shape.code === "string" && NETWORK_CODES.has(shape.code))
  );
}

/** `error` as a TransientError when retrying can fix it, else `error` itself, unchanged. */
export function transientOr(error: unknown, action: string): unknown {
  if (!isTransientAwsError(error)) return error;
  const message = (error as SdkErrorShape).message;
  return new TransientError(
    `${action} failed (${errorName(error)}: ${String(message)}); retrying may succeed`,
    {
      code: errorName(error),
      ...(httpStatusOf(error) === undefined ? {} : { status: httpStatusOf(error) }),
      cause: error,
    },
  );
}
