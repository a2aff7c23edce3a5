/**
 * The runtime's log on the command line. By default it says nothing: what a run did and what failed
 * reaches the person through the command's summary and its one error line. `--verbose` shows every
 * line the Lambdas would log (JSON, on stderr, secrets masked by the runtime), metrics included.
 */
import { type Log, type Metrics, NO_METRICS } from "../../functions/core/ports";
import { createEmfMetrics } from "../../functions/runtime/metrics";
import type { Terminal } from "./terminal";

const silent = () => undefined;

export function cliLog(terminal: Terminal, verbose: boolean): Log {
  if (!verbose) return { debug: silent, info: silent, warn: silent, error: silent };
  const write = (level: string) => (message: string, extra?: Record<string, unknown>) => {
    terminal.stderr.write(
      `${JSON.stringify({ level, timestamp: new Date().toISOString(), message, ...extra })}\n`,
    );
  };
  return { debug: write("DEBUG"), info: write("INFO"), warn: write("WARN"), error: write("ERROR") };
}

/** The runtime's metrics on the command line: the Lambdas' EMF documents on stderr with `--verbose`, else none. */
export function cliMetrics(terminal: Terminal, connection: string, verbose: boolean): Metrics {
  if (!verbose) return NO_METRICS;
  return createEmfMetrics({ connection, write: (line) => terminal.stderr.write(`${line}\n`) });
}
