/**
 * Where the command writes: results on stdout (text, or one JSON document with --json), progress and
 * errors on stderr. Tests give their own streams.
 */
import type { Writable } from "node:stream";

export interface Terminal {
  stdout: Writable & { isTTY?: boolean; columns?: number };
  stderr: Writable & { isTTY?: boolean; columns?: number };
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
}

export function processTerminal(): Terminal {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}
