/**
 * What a failed execution says, for people: the message inside a Lambda-style cause, and input
 * mistakes (unknown object, bad settings) raised again as the configuration errors they were.
 */
import { ConfigurationError, DataError } from "../../functions/errors";
import type { LocalExecution } from "../stepfunctions/state-machine";

/** The message inside a Lambda-style cause (`{"errorType","errorMessage"}`), or the cause itself. */
export function causeMessage(cause: string | undefined): string {
  if (cause === undefined) return "";
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === "string") return parsed.errorMessage;
  } catch {
    // A plain-text cause (a Fail state's): shown as it is.
  }
  return cause;
}

/**
 * An execution that failed before any object ran because of the input (unknown object, bad settings)
 * is the person's mistake: raised as the configuration error it was, for a one-line message.
 */
export function raiseInputError(execution: LocalExecution): void {
  if (execution.status !== "FAILED") return;
  const message = causeMessage(execution.cause);
  if (execution.error === "ConfigurationError") throw new ConfigurationError(message);
  if (execution.error === "DataError") throw new DataError(message);
}
