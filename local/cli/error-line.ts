/**
 * Any error as the one line a person reads on stderr: the message of our own errors (which says what
 * to fix), never a stack trace for input mistakes, never a secret value.
 */
import { CommanderError } from "commander";
import { isSaddleError } from "../../functions/errors";
import { EXIT, type ExitCode } from "./exit-codes";

export interface ErrorReport {
  /** One line, no trailing newline. */
  line: string;
  exitCode: ExitCode;
  /** Only for errors that are not ours (a bug or an unexpected failure), shown with --verbose. */
  stack?: string;
}

/** Names of errors whose message is the whole story: the person has to change their input. */
const INPUT_ERRORS = new Set(["ConfigurationError", "DataError"]);

export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").trim();
}

export function reportError(error: unknown, redact: (text: string) => string = (text) => text): ErrorReport {
  if (error instanceof CommanderError) {
    // Commander's own wording ("error: unknown option '--objectz'"), plus its suggestion if it made one.
    const message = oneLine(error.message.replace(/^error:\s*/i, ""));
    return { line: redact(message), exitCode: EXIT.usage };
  }
  if (isSaddleError(error)) {
    const line = redact(oneLine(error.message));
    if (INPUT_ERRORS.has(error.name)) return { line, exitCode: EXIT.usage };
    return { line: `${error.name}: ${line}`, exitCode: EXIT.failed };
  }
  if (error instanceof Error) {
    const report: ErrorReport = {
      line: redact(`${error.name}: ${oneLine(error.message)} (run again with --verbose for details)`),
      exitCode: EXIT.failed,
    };
    if (error.stack) report.stack = redact(error.stack);
    return report;
  }
  return { line: redact(oneLine(String(error))), exitCode: EXIT.failed };
}
