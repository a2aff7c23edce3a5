/**
 * Bulk API 2.0 ingest jobs (`jobs/ingest`): created `Open`, one CSV upload (`PUT …/batches`, 201 with
 * no body), closed with `UploadComplete`, then processed asynchronously through the org's DML in
 * batches of 10,000 rows. Results are CSV: successful (`sf__Id`, `sf__Created`), failed (`sf__Id`,
 * `sf__Error`) and unprocessed rows, each echoing the input columns, in a shuffled (not input) order.
 */

import { EmulatorInputError } from "../errors";
import type { DmlResult, ObjectDef, Org } from "../org/types";
import { ApiError, notFound, unsupportedMediaType } from "./api-error";
import { COLUMN_DELIMITERS, type ColumnDelimiter, LINE_ENDINGS, type LineEnding, quote } from "./bulk-csv";
import {
  contentTypeOf,
  delimiterOf,
  invalidJobState,
  invalidProperty,
  type JobState,
  jobIds,
  jobReply,
  lineEndingOf,
  listReply,
  orgNow,
  TERMINAL_STATES,
  yieldToLoop,
} from "./bulk-jobs";
import { ByteScratch, writeBytes, writeQuoted } from "./byte-sink";
import { jsonObjectBody, type RequestContext, requireSession, type Services } from "./context";
import { CsvReader } from "./csv-reader";
import { fieldOf } from "./dml-format";
import type { PendingJobFailure } from "./faults";
import { hashString, seededRandom, shuffleInPlace } from "./prng";
import { CSV_TYPE, type Reply } from "./reply";

type Operation = "insert" | "update" | "upsert" | "delete" | "hardDelete";
const OPERATIONS: ReadonlySet<string> = new Set(["insert", "update", "upsert", "delete", "hardDelete"]);

const BATCH_ROWS = 10_000;
const SLICE_MS = 20;
const MAX_UPLOAD_BYTES = 150_000_000;

interface Outcome {
  row: number;
  id: string;
  /** Successes: created; failures: the sf__Error text. */
  detail: boolean | string;
}

interface IngestJob {
  id: string;
  operation: Operation;
  object: ObjectDef;
  externalIdFieldName: string | undefined;
  createdById: string;
  createdDate: string;
  systemModstamp: string;
  state: JobState;
  columnDelimiter: ColumnDelimiter;
  lineEnding: LineEnding;
  apiVersion: number;
  upload: Buffer | undefined;
  header: string[];
  /** Byte offset of each data row in `upload`, in input order. */
  rowStarts: number[];
  /** Rows handled so far (the first `processedRows` of rowStarts). */
  processedRows: number;
  successes: Outcome[];
  failures: Outcome[];
  shuffled: boolean;
  numberRecordsProcessed: number;
  numberRecordsFailed: number;
  totalProcessingTime: number;
  errorMessage: string | undefined;
}

/** `CODE:message:fields --`, the sf__Error form. */
function errorText(result: DmlResult): string {
  return result.errors.map((e) => `${e.statusCode}:${e.message}:${e.fields.join(",")} --`).join(" ");
}

function idOf(input: Record<string, string>): string {
  const key = Object.keys(input).find((k) => k.toLowerCase() === "id");
  return key === undefined ? "" : (input[key] ?? "");
}

/** A header name as written back: bare unless it needs quoting. */
function headerName(name: string, sep: string): string {
  return /["\r\n]/.test(name) || name.includes(sep) ? quote(name) : name;
}

export class BulkIngests {
  private readonly jobs = new Map<string, IngestJob>();

  constructor(private readonly services: Services) {}

  private get org(): Org {
    return this.services.org;
  }

  async create(ctx: RequestContext): Promise<Reply> {
    const session = requireSession(ctx);
    const body = await jsonObjectBody(ctx);
    const operation = body.operation;
    if (typeof operation !== "string" || !OPERATIONS.has(operation))
      throw invalidProperty("operation", operation);
    if (typeof body.object !== "string" || body.object === "") throw invalidProperty("object", body.object);
    contentTypeOf(body);
    const columnDelimiter = delimiterOf(body);
    const lineEnding = lineEndingOf(body);
    const wanted = body.object.toLowerCase();
    const object = this.org.listObjects().find((o) => o.name.toLowerCase() === wanted);
    if (object === undefined) {
      throw new ApiError(400, "INVALIDJOB", `Unable to find object: ${body.object}`);
    }
    let externalIdFieldName: string | undefined;
    if (operation === "upsert") {
      const name = body.externalIdFieldName;
      if (typeof name !== "string" || name === "") {
        throw new ApiError(
          400,
          "INVALIDJOB",
          `External ID was blank for ${object.name}. An External ID must be specified for upsert.`,
        );
      }
      const field = fieldOf(object, name);
      if (field === undefined || !(field.externalId || field.idLookup)) {
        throw new ApiError(
          400,
          "INVALIDJOB",
          `The field ${name} is not an External Id field on ${object.name}.`,
        );
      }
      externalIdFieldName = field.name;
    }
    const now = orgNow(this.org);
    const job: IngestJob = {
      id: jobIds.next(),
      operation: operation as Operation,
      object,
      externalIdFieldName,
      createdById: session.userId,
      createdDate: now,
      systemModstamp: now,
      state: "Open",
      columnDelimiter,
      lineEnding,
      apiVersion: Number(ctx.version),
      upload: undefined,
      header: [],
      rowStarts: [],
      processedRows: 0,
      successes: [],
      failures: [],
      shuffled: false,
      numberRecordsProcessed: 0,
      numberRecordsFailed: 0,
      totalProcessingTime: 0,
      errorMessage: undefined,
    };
    this.jobs.set(job.id, job);
    return jobReply(200, { ...this.summary(job), contentUrl: this.contentUrl(job) });
  }

  list(): Reply {
    return listReply([...this.jobs.values()].map((job) => ({ ...this.summary(job), jobType: "V2Ingest" })));
  }

  info(ctx: RequestContext): Reply {
    return jobReply(200, this.details(this.job(ctx)));
  }

  /** PUT …/batches: the job's one CSV upload. */
  async upload(ctx: RequestContext): Promise<Reply> {
    const job = this.job(ctx);
    const type = ctx.headers["content-type"] ?? "";
    if (!/^text\/csv\b/i.test(type)) throw unsupportedMediaType(type.split(";")[0] ?? type);
    if (job.state !== "Open")
      throw invalidJobState(`Job ${job.id} is not Open (state ${job.state}); it takes no data.`);
    if (job.upload !== undefined) {
      // Salesforce's own wording, spelling included.
      throw new ApiError(
        400,
        "BULK_API_ERROR",
        `Found multipe contents for job: <${job.id.slice(0, 15)}>, please 'Close' / 'Abort' / 'Delete' the current Job then create a new Job and make sure you only do 'PUT' once on a given Job.`,
      );
    }
    const data = await ctx.body(MAX_UPLOAD_BYTES);
    if (job.state !== "Open" || job.upload !== undefined) throw invalidJobState(`Job ${job.id} is not Open.`);
    job.upload = data;
    return { status: 201 };
  }

  /** PATCH {state}: UploadComplete starts processing; Aborted stops the job. */
  async patch(ctx: RequestContext): Promise<Reply> {
    const job = this.job(ctx);
    const body = await jsonObjectBody(ctx);
    if (body.state === "UploadComplete") {
      if (job.state !== "Open") throw invalidJobState(`Job ${job.id} is not Open (state ${job.state}).`);
      job.state = "UploadComplete";
      job.systemModstamp = orgNow(this.org);
      this.services.timers.after(
        this.services.bulk.queuedMs,
        () => this.process(job),
        (error) => this.crash(job, error),
      );
    } else if (body.state === "Aborted") {
      if (job.state === "JobComplete") throw invalidJobState("Aborting already Completed Job not allowed");
      if (TERMINAL_STATES.has(job.state))
        throw invalidJobState(`Aborting a job in state ${job.state} not allowed`);
      this.finish(job, "Aborted");
    } else {
      throw invalidProperty("state", body.state);
    }
    return jobReply(200, this.summary(job));
  }

  remove(ctx: RequestContext): Reply {
    const job = this.job(ctx);
    if (job.state === "Open" || job.state === "InProgress") {
      throw invalidJobState(`Deleting a job in state ${job.state} is not allowed`);
    }
    if (job.state === "UploadComplete") job.state = "Aborted";
    this.jobs.delete(job.id);
    return { status: 204 };
  }

  successfulResults(ctx: RequestContext): Reply {
    const job = this.job(ctx);
    this.shuffleWhenDone(job);
    return this.resultsCsv(job, ["sf__Id", "sf__Created"], job.successes, (o) => [o.id, String(o.detail)]);
  }

  failedResults(ctx: RequestContext): Reply {
    const job = this.job(ctx);
    this.shuffleWhenDone(job);
    return this.resultsCsv(job, ["sf__Id", "sf__Error"], job.failures, (o) => [o.id, String(o.detail)]);
  }

  unprocessedRecords(ctx: RequestContext): Reply {
    const job = this.job(ctx);
    const rows: Outcome[] = [];
    for (let row = job.processedRows; row < job.rowStarts.length; row++)
      rows.push({ row, id: "", detail: "" });
    return this.resultsCsv(job, [], rows, () => []);
  }

  private resultsCsv(
    job: IngestJob,
    leading: string[],
    outcomes: Outcome[],
    values: (o: Outcome) => string[],
  ): Reply {
    const sep = COLUMN_DELIMITERS[job.columnDelimiter];
    const eol = LINE_ENDINGS[job.lineEnding];
    const header = [...leading.map(quote), ...job.header.map((h) => headerName(h, sep))].join(sep) + eol;
    const upload = job.upload;
    const columns = job.header.length;
    const sepBytes = Buffer.from(sep);
    const eolBytes = Buffer.from(eol);
    return {
      status: 200,
      headers: { "Content-Type": CSV_TYPE },
      stream: {
        write: async (out) => {
          await out.write(Buffer.from(header, "utf8"));
          const reader = upload === undefined ? undefined : new CsvReader(upload, sep);
          const scratch = new ByteScratch();
          for (let i = 0; i < outcomes.length; i++) {
            const outcome = outcomes[i] as Outcome;
            let first = true;
            for (const value of values(outcome)) {
              if (!first) writeBytes(scratch, sepBytes);
              writeQuoted(scratch, value);
              first = false;
            }
            reader?.seek(job.rowStarts[outcome.row] as number);
            const input = reader?.next() ?? [];
            for (let c = 0; c < columns; c++) {
              if (!first) writeBytes(scratch, sepBytes);
              writeQuoted(scratch, input[c] ?? "");
              first = false;
            }
            writeBytes(scratch, eolBytes);
            if (scratch.pos >= 1 << 20) await out.write(scratch.take());
          }
          if (scratch.pos > 0) await out.write(scratch.take());
        },
      },
    };
  }

  private shuffleWhenDone(job: IngestJob): void {
    if (job.shuffled || !TERMINAL_STATES.has(job.state)) return;
    // Salesforce processes batches in parallel, so result order is not input order.
    const random = seededRandom(hashString(job.id, this.services.seed));
    shuffleInPlace(job.successes, random);
    shuffleInPlace(job.failures, random);
    job.shuffled = true;
  }

  private job(ctx: RequestContext): IngestJob {
    const job = this.jobs.get(ctx.params.jobId ?? "");
    if (job === undefined) throw notFound();
    return job;
  }

  private contentUrl(job: IngestJob): string {
    return `services/data/v${job.apiVersion.toFixed(1)}/jobs/ingest/${job.id}/batches`;
  }

  private summary(job: IngestJob): Record<string, unknown> {
    const info: Record<string, unknown> = {
      id: job.id,
      operation: job.operation,
      object: job.object.name,
      createdById: job.createdById,
      createdDate: job.createdDate,
      systemModstamp: job.systemModstamp,
      state: job.state,
    };
    if (job.externalIdFieldName !== undefined) info.externalIdFieldName = job.externalIdFieldName;
    return {
      ...info,
      concurrencyMode: "Parallel",
      contentType: "CSV",
      apiVersion: job.apiVersion,
      lineEnding: job.lineEnding,
      columnDelimiter: job.columnDelimiter,
    };
  }

  private details(job: IngestJob): Record<string, unknown> {
    const info: Record<string, unknown> = { ...this.summary(job), jobType: "V2Ingest" };
    if (job.state === "Open") info.contentUrl = this.contentUrl(job);
    info.numberRecordsProcessed = job.numberRecordsProcessed;
    info.numberRecordsFailed = job.numberRecordsFailed;
    info.retries = 0;
    info.totalProcessingTime = job.totalProcessingTime;
    info.apiActiveProcessingTime = job.totalProcessingTime;
    info.apexProcessingTime = 0;
    if (job.errorMessage !== undefined) info.errorMessage = job.errorMessage;
    return info;
  }

  private finish(job: IngestJob, state: JobState, errorMessage?: string): void {
    job.state = state;
    job.errorMessage = errorMessage;
    job.systemModstamp = orgNow(this.org);
  }

  private crash(job: IngestJob, error: unknown): void {
    if (TERMINAL_STATES.has(job.state)) return;
    const message =
      error instanceof EmulatorInputError
        ? `ClientInputError : ${error.message}`
        : `InternalServerError : ${String(error)}`;
    this.finish(job, "Failed", message);
  }

  private async process(job: IngestJob): Promise<void> {
    if (job.state !== "UploadComplete") return;
    job.state = "InProgress";
    job.systemModstamp = orgNow(this.org);
    const started = performance.now();
    const upload = job.upload;
    if (upload === undefined || upload.length === 0) {
      this.finish(job, "Failed", "InvalidBatch : No data uploaded for this job");
      return;
    }
    const sep = COLUMN_DELIMITERS[job.columnDelimiter];
    const lineProblem = this.lineEndingProblem(upload, job.lineEnding);
    const reader = new CsvReader(upload, sep);
    job.header = reader.next() ?? [];
    const rowStarts: number[] = [];
    let sliceStart = performance.now();
    for (let fields = reader.next(); fields !== undefined; fields = reader.next()) {
      rowStarts.push(reader.rowStart);
      if ((rowStarts.length & 4095) === 0 && performance.now() - sliceStart > SLICE_MS) {
        await yieldToLoop();
        if (job.state !== "InProgress" || this.services.timers.isStopped) return;
        sliceStart = performance.now();
      }
    }
    job.rowStarts = rowStarts;
    if (lineProblem !== undefined) {
      this.finish(job, "Failed", lineProblem);
      return;
    }
    const headerProblem = this.headerProblem(job);
    if (headerProblem !== undefined) {
      this.finish(job, "Failed", headerProblem);
      return;
    }
    const injected: PendingJobFailure | undefined = this.services.faults.takeJobFailure("ingest");
    const batches = Math.ceil(rowStarts.length / BATCH_ROWS);
    for (let batch = 0; batch < batches; batch++) {
      if (job.state !== "InProgress" || this.services.timers.isStopped) return;
      if (injected !== undefined && batch >= injected.afterBatches) {
        this.finish(
          job,
          "Failed",
          injected.errorMessage ?? "InternalServerError : Batch failed after retries",
        );
        return;
      }
      if (!this.services.limits.trySpend("DailyBulkApiBatches")) {
        this.finish(
          job,
          "Failed",
          "ExceededQuota : Exceeded max number of batches allowed in 24 hour period",
        );
        return;
      }
      const batchStarted = performance.now();
      const batchEnd = Math.min(rowStarts.length, (batch + 1) * BATCH_ROWS);
      // A batch runs in slices of ~SLICE_MS so that polls are answered while it runs.
      for (let row = batch * BATCH_ROWS; row < batchEnd; ) {
        row = this.processRows(job, upload, sep, row, batchEnd, performance.now() + SLICE_MS);
        if (row < batchEnd) {
          await yieldToLoop();
          if (job.state !== "InProgress" || this.services.timers.isStopped) return;
        }
      }
      job.totalProcessingTime = Math.round(performance.now() - started);
      const wanted =
        (this.services.bulk.processingMsPer10k * (job.processedRows - batch * BATCH_ROWS)) / BATCH_ROWS;
      const spent = performance.now() - batchStarted;
      if (wanted > spent) await this.services.timers.sleep(wanted - spent);
      else await yieldToLoop();
    }
    if (job.state !== "InProgress") return;
    if (injected !== undefined) {
      this.finish(job, "Failed", injected.errorMessage ?? "InternalServerError : Batch failed after retries");
      return;
    }
    job.totalProcessingTime = Math.round(performance.now() - started);
    this.finish(job, "JobComplete");
  }

  /** Processes rows from `from` until `to` or the `deadline`; returns the next row to process. */
  private processRows(
    job: IngestJob,
    upload: Buffer,
    sep: string,
    from: number,
    to: number,
    deadline: number,
  ): number {
    const header = job.header;
    const object = job.object.name;
    const idColumn = header.findIndex((h) => h.toLowerCase() === "id");
    const reader = new CsvReader(upload, sep);
    for (let row = from; row < to; row++) {
      reader.seek(job.rowStarts[row] as number);
      const fields = reader.next() ?? [];
      let result: DmlResult;
      if (fields.length > header.length) {
        result = {
          id: null,
          success: false,
          errors: [
            {
              statusCode: "INVALID_FIELD",
              message: "Record has more values than header columns",
              fields: [],
            },
          ],
        };
      } else {
        const input: Record<string, string> = {};
        header.forEach((name, i) => {
          input[name] = fields[i] ?? "";
        });
        result = this.write(job, object, input);
      }
      const id = result.id ?? (idColumn >= 0 ? (fields[idColumn] ?? "") : "");
      if (result.success) {
        const created = job.operation === "insert" || (job.operation === "upsert" && result.created === true);
        job.successes.push({ row, id: result.id ?? id, detail: created });
      } else {
        job.failures.push({ row, id, detail: errorText(result) });
        job.numberRecordsFailed += 1;
      }
      job.numberRecordsProcessed += 1;
      job.processedRows = row + 1;
      if ((row & 255) === 255 && performance.now() > deadline) return row + 1;
    }
    return to;
  }

  private write(job: IngestJob, object: string, input: Record<string, string>): DmlResult {
    switch (job.operation) {
      case "insert":
        return this.org.insert(object, input, "csv");
      case "update":
        return this.org.update(object, input, "csv");
      case "upsert":
        return this.org.upsert(object, job.externalIdFieldName as string, input, "csv");
      case "delete":
        return this.org.delete(object, idOf(input));
      case "hardDelete":
        return this.org.hardDelete(object, idOf(input));
    }
  }

  /** Salesforce checks the upload's line ends against the job's `lineEnding` (first line). */
  private lineEndingProblem(upload: Buffer, lineEnding: LineEnding): string | undefined {
    const lf = upload.indexOf(0x0a);
    if (lf === -1) return undefined;
    const crlf = lf > 0 && upload[lf - 1] === 0x0d;
    if ((lineEnding === "LF") === !crlf) return undefined;
    return `ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is ${lineEnding}`;
  }

  /** Every header column must name a field (or a relationship through an external id). */
  private headerProblem(job: IngestJob): string | undefined {
    for (const name of job.header) {
      const [relationship, ...rest] = name.split(".");
      if (rest.length > 0) {
        const wanted = (relationship ?? "").toLowerCase();
        const known = job.object.fields.some((f) => f.relationshipName?.toLowerCase() === wanted);
        if (!known) return `InvalidBatch : Field name not found : ${name}`;
      } else if (fieldOf(job.object, name) === undefined) {
        return `InvalidBatch : Field name not found : ${name}`;
      }
    }
    if (
      (job.operation === "delete" || job.operation === "hardDelete") &&
      fieldOf(job.object, "Id") !== undefined
    ) {
      if (!job.header.some((h) => h.toLowerCase() === "id"))
        return "InvalidBatch : Field name not found : Id";
    }
    return undefined;
  }
}
