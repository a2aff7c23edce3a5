/**
 * The connector's error hierarchy. Every error has an explicit `name` because Step Functions
 * `Retry`/`Catch` match on it (and minifiers would otherwise rename classes):
 *
 * - `ConfigurationError`: the input or the setup is wrong (bad credentials, unknown object or field,
 *   invalid option). Retrying cannot help; the message says what to fix.
 * - `TransientError`: the network, a 5xx, an expired session after one re-login, a timeout.
 *   Retried with back-off.
 * - `RateLimitError`: Salesforce refused for a limit (`REQUEST_LIMIT_EXCEEDED`) or the org's remaining
 *   allowance is below the configured reserve. Retried with a long back-off, then fails loudly.
 * - `LeaseConflictError`: another run holds the object's lease. Not retried within a run.
 * - `JobFailedError`: a Bulk job ended `Failed` or `Aborted`. The whole object is retried from its start.
 * - `DataError`: a file or a record is invalid; reported with line and column, never retried unchanged.
 *   `BadValueError` is the DataError for one value in Salesforce that its field's type cannot hold
 *   (it keeps the name `DataError`).
 * - `ReconciliationError`: counts do not add up (rows lost or duplicated). Never retried; a bug or a
 *   partial result, surfaced loudly.
 *
 * Messages never contain secret values: callers pass field *names*, never credential values.
 */

export interface ErrorDetails {
  /** Salesforce `errorCode` / `statusCode`, or an OAuth `error`, when there is one. */
  code?: string;
  /** The Salesforce object involved. */
  object?: string;
  /** The field involved. */
  field?: string;
  /** The HTTP status of the response that caused it. */
  status?: number;
  cause?: unknown;
}

export abstract class SaddleError extends Error {
  abstract override readonly name: string;
  readonly code: string | undefined;
  readonly object: string | undefined;
  readonly field: string | undefined;
  readonly status: number | undefined;

  constructor(message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = details.code;
    this.object = details.object;
    this.field = details.field;
    this.status = details.status;
  }

  /** A JSON-safe summary, small enough for a Step Functions payload; carries no secrets. */
  toJSON(): Record<string, string | number> {
    const out: Record<string, string | number> = { name: this.name, message: this.message };
    if (this.code !== undefined) out.code = this.code;
    if (this.object !== undefined) out.object = this.object;
    if (this.field !== undefined) out.field = this.field;
    if (this.status !== undefined) out.status = this.status;
    return out;
  }
}

export class ConfigurationError extends SaddleError {
  override readonly name = "ConfigurationError";
}

export class TransientError extends SaddleError {
  override readonly name = "TransientError";
}

export class RateLimitError extends SaddleError {
  override readonly name = "RateLimitError";
}

export class LeaseConflictError extends SaddleError {
  override readonly name = "LeaseConflictError";
}

export class JobFailedError extends SaddleError {
  override readonly name = "JobFailedError";
}

/** Where in an input file a problem is: 1-based line (physical) and column (field position). */
export interface InputLocation {
  line?: number;
  column?: number | string;
}

export class DataError extends SaddleError {
  override readonly name = "DataError";
  readonly line: number | undefined;
  readonly column: number | string | undefined;

  constructor(message: string, details: ErrorDetails & InputLocation = {}) {
    super(message, details);
    this.line = details.line;
    this.column = details.column;
  }

  override toJSON(): Record<string, string | number> {
    const out = super.toJSON();
    if (this.line !== undefined) out.line = this.line;
    if (this.column !== undefined) out.column = this.column;
    return out;
  }
}

/**
 * A DataError for one value that does not fit its field's type, as Salesforce holds it: reading it
 * again gives the same value, so no step retries it. Its name stays `DataError` (what the state
 * machines and the reports know); `record` is the record's Id when known.
 */
export class BadValueError extends DataError {
  readonly record: string | undefined;

  constructor(message: string, details: ErrorDetails & InputLocation & { record?: string } = {}) {
    super(message, details);
    this.record = details.record;
  }

  override toJSON(): Record<string, string | number> {
    const out = super.toJSON();
    if (this.record !== undefined) out.record = this.record;
    return out;
  }
}

export class ReconciliationError extends SaddleError {
  override readonly name = "ReconciliationError";
}

/** Names that Step Functions should retry (with their own back-off each). */
export const RETRYABLE_ERROR_NAMES = ["TransientError", "RateLimitError"] as const;

export function isSaddleError(error: unknown): error is SaddleError {
  return error instanceof SaddleError;
}

/** A short, secret-free description of any thrown value, for logs and payloads. */
export function describeError(error: unknown): Record<string, string | number> {
  if (isSaddleError(error)) return error.toJSON();
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: "Error", message: String(error) };
}
