/**
 * The emulator's own errors. It is a stand-in for Salesforce, not part of the connector, so it shares
 * no code with `functions/`: what it answers on the wire is an `ApiError` (http/api-error.ts); what it
 * refuses from its own callers (a control request, a fault rule, a malformed CSV upload) is an
 * `EmulatorInputError`.
 */

/** Input the emulator refuses: answered as 400 by the control API, or a failed ingest job. */
export class EmulatorInputError extends Error {
  override readonly name = "EmulatorInputError";
  /** 1-based physical line of a CSV upload, where there is one. */
  readonly line: number | undefined;

  constructor(message: string, options: { line?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.line = options.line;
  }
}
