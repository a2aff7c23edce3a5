/**
 * The functions' one logger: Powertools JSON lines (level from POWERTOOLS_LOG_LEVEL / LOG_LEVEL),
 * behind the core's `Log` port. A handler scopes it to its invocation (`scopedLog`), so every line an
 * invocation writes carries the run id and the object or file it works on, wherever in the core the
 * line comes from.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import type { Log } from "../core/ports";

/** The Powertools logger every function shares (middy injects the Lambda context into it). */
export const powertools = new Logger({ serviceName: "saddledata" });

/** A Powertools logger as the core's `Log`. */
export function createLogger(logger: Logger = powertools): Log {
  const write =
    (level: "debug" | "info" | "warn" | "error") => (message: string, extra?: Record<string, unknown>) => {
      if (extra) logger[level]({ message, ...extra });
      else logger[level](message);
    };
  return { debug: write("debug"), info: write("info"), warn: write("warn"), error: write("error") };
}

/** The keys that say what an invocation works on: the run, and the object or the file. */
export interface InvocationKeys {
  runId?: string;
  object?: string;
  fileKey?: string;
}

/**
 * `log` with the invocation's keys on every line. A line's own fields come first, so a key is never
 * overwritten by a stale value; keys that are unknown (undefined) are left out.
 */
export function scopedLog(log: Log, keys: InvocationKeys): Log {
  const scope = Object.fromEntries(Object.entries(keys).filter(([, value]) => value !== undefined));
  if (Object.keys(scope).length === 0) return log;
  const write = (level: keyof Log) => (message: string, extra?: Record<string, unknown>) =>
    log[level](message, { ...scope, ...extra });
  return { debug: write("debug"), info: write("info"), warn: write("warn"), error: write("error") };
}
