/**
 * What crosses the Step Functions boundary besides each handler's own input: the `{ Error, Cause }` a
 * Catch hands to the failure step, and the continuations a function returns and gets back.
 */
import * as z from "zod";

/** Step Functions' Catch output: the error's name, and its cause (the Lambda's JSON error report). */
export const CaughtErrorSchema = z.object({ Error: z.string(), Cause: z.string().optional() }).passthrough();

export type CaughtError = z.infer<typeof CaughtErrorSchema>;

/** Long enough for any of our messages, short enough for a state item, a summary and a payload. */
const MAX_CAUGHT_MESSAGE = 2000;

/** The error Step Functions caught, reduced to name and message (the Cause carries the message). */
export function caughtErrorSummary(caught: CaughtError): { name: string; message: string } {
  let message = caught.Cause ?? "";
  try {
    const cause = JSON.parse(caught.Cause ?? "") as { errorMessage?: unknown };
    if (typeof cause.errorMessage === "string") message = cause.errorMessage;
  } catch {
    // A States.* error's Cause is plain text: keep it.
  }
  return { name: caught.Error, message: message.slice(0, MAX_CAUGHT_MESSAGE) };
}

/**
 * A continuation: state a function returned to Step Functions and gets back on its next step. Its full
 * shape is the function's own type, checked by TypeScript where it is produced; at the boundary the
 * fields that say which continuation it is are checked, the rest passes through as it was written.
 */
export function continuation<T>(marker: z.ZodObject<z.ZodRawShape>): z.ZodType<T> {
  return marker.passthrough() as unknown as z.ZodType<T>;
}
