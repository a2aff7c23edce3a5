/**
 * The command's exit statuses, so scripts and schedulers can tell "fix your input" from "the run had
 * failures" without reading the text.
 */
export const EXIT = {
  /** Everything ran and behaved as designed. */
  ok: 0,
  /** The run finished but something failed: an object's sync, rows of a load, a transient error. */
  failed: 1,
  /** Nothing ran: the command line, the settings, the credentials or the named object is wrong. */
  usage: 2,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
