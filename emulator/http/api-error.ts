/**
 * A Salesforce API error the emulator answers with: REST and Bulk API errors are a JSON array
 * `[{"message", "errorCode", "fields"?}]` with the HTTP status that goes with the code.
 */
export class ApiError extends Error {
  override readonly name = "EmulatorApiError";
  readonly httpStatus: number;
  readonly errorCode: string;
  readonly fields: string[] | undefined;

  constructor(httpStatus: number, errorCode: string, message: string, fields?: string[]) {
    super(message);
    this.httpStatus = httpStatus;
    this.errorCode = errorCode;
    this.fields = fields;
  }

  /** The wire body: Salesforce puts `message` before `errorCode`, and `fields` only where it has them. */
  toBody(): Array<Record<string, unknown>> {
    const item: Record<string, unknown> = { message: this.message, errorCode: this.errorCode };
    if (this.fields !== undefined) item.fields = this.fields;
    return [item];
  }
}

export const notFound = (): ApiError =>
  new ApiError(404, "NOT_FOUND", "The requested resource does not exist");

export const invalidSession = (): ApiError =>
  new ApiError(401, "INVALID_SESSION_ID", "Session expired or invalid");

export const requestLimitExceeded = (): ApiError =>
  new ApiError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.");

export const methodNotAllowed = (method: string, allowed: string[]): ApiError =>
  new ApiError(
    405,
    "METHOD_NOT_ALLOWED",
    `HTTP Method '${method}' not allowed. Allowed are ${allowed.join(",")}`,
  );

export const unsupportedMediaType = (contentType: string): ApiError =>
  new ApiError(415, "UNSUPPORTED_MEDIA_TYPE", `Content type '${contentType}' not supported`);

export const serverUnavailable = (): ApiError =>
  new ApiError(503, "SERVER_UNAVAILABLE", "Server temporarily unavailable. Please try again later.");
