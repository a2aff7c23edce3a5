/** Turns the org's errors into the REST error a real org sends for them. */
import { OrgError } from "../org/types";
import { ApiError } from "./api-error";

const STATUS_BY_CODE: Record<string, number> = {
  NOT_FOUND: 404,
  ENTITY_IS_DELETED: 404,
};

export function toApiError(error: unknown): unknown {
  if (error instanceof OrgError) {
    const fields = error.fields.length > 0 ? error.fields : undefined;
    return new ApiError(STATUS_BY_CODE[error.errorCode] ?? 400, error.errorCode, error.message, fields);
  }
  return error;
}

/** Runs `fn`, rethrowing an OrgError as the matching ApiError. */
export function orgCall<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw toApiError(error);
  }
}
