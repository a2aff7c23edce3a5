import type { SalesforceCsvWriter } from "../formats/load/salesforce-csv-writer";
import type { LoadDeps } from "./load-deps";
import type { LoadPlan } from "./load-plan";
import type { LoadState, StagedJob } from "./load-state";
import { PartWriter } from "./part-writer";
import { bulkUploadWriter, padded, stagedFileItems } from "./row-codec";
import type { SfValue, SourceItem } from "./row-cursor";
import { stagedJobKey } from "./run-folder";

/**
 * Staging: while the file is validated, its valid rows are written into the run folder as the Bulk
 * ingest job files they will be sent as (Salesforce's CSV, split at `jobMaxBytes`). Sending a job is
 * then a byte copy from S3 into its upload, so the inbound file is read and checked once, and nothing
 * reaches Salesforce before the whole file is known good. The files expire with the results folder.
 */

/** Writes one validation invocation's valid rows as job files, after those `state.staged` lists. */
export class JobStager {
  private writer: SalesforceCsvWriter | undefined;
  private part: PartWriter | undefined;
  private width = 0;
  private readonly written: StagedJob[] = [];

  constructor(
    private readonly deps: LoadDeps,
    private readonly state: LoadState,
  ) {}

  /**
   * Add a valid row, under the plan it was validated with (rows read before a column appeared are
   * shorter). Returns a promise only when the row filled a chunk that must be handed to the upload (or
   * ended a job): most rows cost no promise and no turn of the event loop.
   */
  write(plan: LoadPlan, values: readonly SfValue[]): Promise<void> | undefined {
    const width = plan.columns.length;
    // JSON lines grow the plan as they reveal columns: a job file has one header, so a new one starts.
    if (this.writer === undefined || width !== this.width) return this.writeSlowly(plan, values);
    if (!this.writer.write(padded(values, width))) return this.writeSlowly(plan, values);
    const chunks = this.writer.takeChunks();
    return chunks.length === 0 ? undefined : this.hand(chunks);
  }

  private async writeSlowly(plan: LoadPlan, values: readonly SfValue[]): Promise<void> {
    const width = plan.columns.length;
    if (this.writer !== undefined && width !== this.width) await this.endJob();
    let writer = this.writer ?? this.startJob(plan);
    const row = padded(values, width);
    if (!writer.write(row)) {
      // The row would take the job past jobMaxBytes: it starts the next one.
      await this.endJob();
      writer = this.startJob(plan);
      writer.write(row);
    }
    await this.hand(writer.takeChunks());
  }

  private async hand(chunks: readonly Uint8Array[]): Promise<void> {
    const part = this.part as PartWriter;
    for (const chunk of chunks) await part.write(chunk, 0);
  }

  /** Make the job files whole in S3, then list them in the state (which the caller checkpoints). */
  async commit(): Promise<void> {
    await this.endJob();
    this.state.staged = [...(this.state.staged ?? []), ...this.written];
    this.written.length = 0;
  }

  async abort(error: unknown): Promise<void> {
    const part = this.part;
    this.writer = undefined;
    this.part = undefined;
    await part?.abort(error);
  }

  private startJob(plan: LoadPlan): SalesforceCsvWriter {
    const index = (this.state.staged?.length ?? 0) + this.written.length;
    this.width = plan.columns.length;
    this.writer = bulkUploadWriter(plan, this.deps.settings.jobMaxBytes);
    this.part = new PartWriter(this.deps.store, stagedJobKey(this.state, index));
    return this.writer;
  }

  private async endJob(): Promise<void> {
    const writer = this.writer;
    const part = this.part;
    if (writer === undefined || part === undefined) return;
    const rows = writer.fileRows;
    for (const chunk of writer.endFile()) await part.write(chunk, 0);
    await part.close();
    this.writer = undefined;
    this.part = undefined;
    this.written.push({ rows, columns: this.width });
  }
}

/** Where row `position` of the staged rows is: the job file holding it and the rows before it there. */
export function locateStaged(
  staged: readonly StagedJob[],
  position: number,
): { index: number; offset: number } {
  let start = 0;
  for (const [index, job] of staged.entries()) {
    if (position < start + job.rows) return { index, offset: position - start };
    start += job.rows;
  }
  return { index: staged.length, offset: position - start };
}

/** The position of the first row of staged job `index` (the staged row count for `index` = length). */
export function stagedStart(staged: readonly StagedJob[], index: number): number {
  return staged.slice(0, index).reduce((sum, job) => sum + job.rows, 0);
}

/**
 * The staged rows from `skip` up to `until`, as source items: for sObject Collections, which send
 * rows rather than files, and for job files written again under a wider header.
 */
export async function* stagedRows(
  deps: LoadDeps,
  state: LoadState,
  skip: number,
  until = Number.POSITIVE_INFINITY,
): AsyncGenerator<SourceItem[]> {
  const position = { index: 0 };
  for (const [job, { rows }] of (state.staged ?? []).entries()) {
    if (position.index >= until) return;
    if (position.index + rows <= skip) {
      position.index += rows;
      continue;
    }
    yield* stagedFileItems(deps.store, stagedJobKey(state, job), position, skip, until);
  }
}
