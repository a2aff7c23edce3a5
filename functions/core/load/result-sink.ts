import type { LoadDeps } from "./load-deps";
import type { LoadPlan } from "./load-plan";
import { addCode, emptyFates, type LoadState, type PartKind, type RowFate } from "./load-state";
import { CsvPartWriter } from "./row-codec";
import type { SfValue } from "./row-cursor";
import { partKey } from "./run-folder";

/**
 * Per-record outcome codes that say "try again later", not "this record is wrong". Rows that failed
 * with one of these are resubmitted in a later round; every other code is a data problem, reported
 * and never retried unchanged.
 */
export const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  "UNABLE_TO_LOCK_ROW",
  "REQUEST_LIMIT_EXCEEDED",
  "SERVER_UNAVAILABLE",
]);

/** `CODE:message:fields --` → `CODE`. */
export function errorCodeOf(sfError: string): string {
  const colon = sfError.indexOf(":");
  const code = (colon === -1 ? sfError : sfError.slice(0, colon)).trim();
  return /^[A-Z][A-Z0-9_]*$/.test(code) ? code : "UNKNOWN_ERROR";
}

/** Salesforce's sf__Error form for REST errors, so both APIs' failures read alike. */
export function sfErrorText(
  errors: Array<{ statusCode: string; message: string; fields?: string[] }>,
): string {
  if (errors.length === 0) return "UNKNOWN_ERROR:no error was given --";
  return errors
    .map((error) => `${error.statusCode}:${error.message}:${(error.fields ?? []).join(",")} --`)
    .join(" ");
}

/** The header of each kind of part (and of the result file it becomes). */
export function partColumns(kind: PartKind, plan: LoadPlan): string[] {
  const names = plan.columns.map((column) => column.name);
  switch (kind) {
    case "success":
      return ["sf__Id", "sf__Created", ...names];
    case "failed":
      return ["sf__Id", "sf__Error", ...names];
    case "unprocessed":
      return ["reason", ...names];
    case "rejected":
      return ["line", "reason", ...plan.columns.map((column) => column.header)];
    case "unchanged":
      return ["sf__Id", ...names];
    case "plan":
      return ["line", "action", "sf__Id", "changed", ...names];
    case "retry":
      return names;
  }
}

/** Row values as a part holds them (`#N/A` and empty cells read back as null and "not set"). */
type Values = readonly SfValue[];

interface Pending {
  succeeded: number;
  created: number;
  failed: number;
  unprocessed: number;
  rejected: number;
  unchanged: number;
  planned: Record<RowFate, number>;
  retry: number;
  errorCodes: Record<string, number>;
  retriedCodes: Record<string, number>;
}

/**
 * Where one step's row outcomes go: one part per kind, written as they come. Nothing reaches the state
 * until `commit`, after the parts are whole in S3, so a step that dies leaves counts and parts in
 * agreement (its parts are overwritten when the step is done again).
 */
export class ResultSink {
  private readonly writers = new Map<PartKind, CsvPartWriter>();
  private pending: Pending = ResultSink.empty();

  constructor(
    private readonly deps: LoadDeps,
    private readonly state: LoadState,
    readonly plan: LoadPlan,
    /** No round follows (the load is being recorded as failed): nothing is staged for retry. */
    private readonly final = false,
  ) {}

  private static empty(): Pending {
    return {
      succeeded: 0,
      created: 0,
      failed: 0,
      unprocessed: 0,
      rejected: 0,
      unchanged: 0,
      planned: emptyFates(),
      retry: 0,
      errorCodes: {},
      retriedCodes: {},
    };
  }

  /** Whether transient failures of this round still get another round. */
  get canRetry(): boolean {
    return !this.final && this.state.round < this.deps.settings.maxRetryRounds;
  }

  private writer(kind: PartKind): CsvPartWriter {
    let writer = this.writers.get(kind);
    if (!writer) {
      const index = this.state.parts[kind] ?? 0;
      const key = partKey(this.state, kind, index, this.state.round + 1);
      writer = new CsvPartWriter(this.deps.store, key, partColumns(kind, this.plan));
      this.writers.set(kind, writer);
    }
    return writer;
  }

  private fit(values: Values): Values {
    const width = this.plan.columns.length;
    if (values.length === width) return values;
    const out = values.slice(0, width);
    out.length = width;
    return out;
  }

  async success(id: string, created: boolean, values: Values): Promise<void> {
    this.pending.succeeded += 1;
    if (created) this.pending.created += 1;
    await this.writer("success").write([id, String(created), ...this.fit(values)]);
  }

  /** A row Salesforce refused: reported, or staged for the next round when the cause is transient. */
  async failure(id: string, sfError: string, values: Values): Promise<void> {
    const code = errorCodeOf(sfError);
    if (TRANSIENT_CODES.has(code) && this.canRetry) {
      addCode(this.pending.retriedCodes, code);
      await this.stage(values);
      return;
    }
    this.pending.failed += 1;
    addCode(this.pending.errorCodes, code);
    await this.writer("failed").write([id, sfError, ...this.fit(values)]);
  }

  /** A row Salesforce never processed (a job that failed as a whole, a call refused for a limit). */
  async notProcessed(reason: string, code: string, values: Values): Promise<void> {
    if (this.canRetry) {
      addCode(this.pending.retriedCodes, code);
      await this.stage(values);
      return;
    }
    await this.unprocessed(reason, values);
  }

  /** A row left out for good (its outcome unknown, or no round left to retry it). */
  async unprocessed(reason: string, values: Values): Promise<void> {
    this.pending.unprocessed += 1;
    await this.writer("unprocessed").write([reason, ...this.fit(values)]);
  }

  async rejected(line: number, reason: string, raw: readonly string[]): Promise<void> {
    this.pending.rejected += 1;
    await this.writer("rejected").write([String(line), reason, ...this.fit(raw)]);
  }

  /** A row not sent: the record `id` already holds every value it sets. */
  async unchanged(id: string, values: Values): Promise<void> {
    this.pending.unchanged += 1;
    await this.writer("unchanged").write([id, ...this.fit(values)]);
  }

  /** A dry run's row: what it would do, to which record, changing which fields. */
  async planned(line: number, fate: RowFate, id: string, changed: string[], values: Values): Promise<void> {
    this.pending.planned[fate] += 1;
    await this.writer("plan").write([String(line), fate, id, changed.join(";"), ...this.fit(values)]);
  }

  private async stage(values: Values): Promise<void> {
    this.pending.retry += 1;
    await this.writer("retry").write(this.fit(values));
  }

  /** Rows recorded so far by this sink (all kinds). */
  get rows(): number {
    const p = this.pending;
    const planned = Object.values(p.planned).reduce((sum, n) => sum + n, 0);
    return p.succeeded + p.failed + p.unprocessed + p.rejected + p.unchanged + planned + p.retry;
  }

  get rejectedRows(): number {
    return this.pending.rejected;
  }

  /** Make the parts whole, then account for their rows in the state. */
  async commit(): Promise<void> {
    for (const [kind, writer] of this.writers) {
      if (await writer.close()) this.state.parts[kind] = (this.state.parts[kind] ?? 0) + 1;
    }
    this.writers.clear();
    const p = this.pending;
    const counts = this.state.counts;
    counts.succeeded += p.succeeded;
    counts.created += p.created;
    counts.failed += p.failed;
    counts.unprocessed += p.unprocessed;
    counts.rejected += p.rejected;
    counts.unchanged = (counts.unchanged ?? 0) + p.unchanged;
    if (Object.values(p.planned).some((n) => n > 0)) {
      this.state.planned ??= emptyFates();
      const planned = this.state.planned;
      for (const [fate, n] of Object.entries(p.planned)) planned[fate as RowFate] += n;
    }
    this.state.retryRows += p.retry;
    for (const [code, n] of Object.entries(p.errorCodes)) addCode(this.state.errorCodes, code, n);
    for (const [code, n] of Object.entries(p.retriedCodes)) addCode(this.state.retriedCodes, code, n);
    this.pending = ResultSink.empty();
  }

  async abort(error: unknown): Promise<void> {
    for (const writer of this.writers.values()) await writer.abort(error);
    this.writers.clear();
    this.pending = ResultSink.empty();
  }
}
