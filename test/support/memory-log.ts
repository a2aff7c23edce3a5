import type { Log } from "../../functions/core/ports";

export interface LogLine {
  level: "debug" | "info" | "warn" | "error";
  message: string;
  extra?: Record<string, unknown>;
}

/** A Log that keeps every line, so tests can assert on what was logged (and what never was). */
export function memoryLog(): Log & { lines: LogLine[]; text(): string } {
  const lines: LogLine[] = [];
  const write = (level: LogLine["level"]) => (message: string, extra?: Record<string, unknown>) => {
    lines.push(extra === undefined ? { level, message } : { level, message, extra });
  };
  return {
    lines,
    debug: write("debug"),
    info: write("info"),
    warn: write("warn"),
    error: write("error"),
    text: () => lines.map((line) => JSON.stringify(line)).join("\n"),
  };
}
