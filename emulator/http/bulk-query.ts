/**
 * Bulk API 2.0 query jobs (`jobs/query`): created `UploadComplete`, moved by timers to `InProgress`,
 * where the whole result is materialized as CSV in memory, then `JobComplete` (or `Failed` for what
 * Bulk query refuses, or when a fault says so). Results pages are slices of that CSV.
 */
import type { QueryResult } from "../org/types";
import { ApiError, notFound } from "./api-error";
import { bulkRowWriter, type ColumnDelimiter, type LineEnding } from "./bulk-csv";
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
import { jsonObjectBody, type RequestContext, requireSession, type Services } from "./context";
import type { PendingJobFailure } from "./faults";
import { MaterializedCsv } from "./materialized-csv";
import { orgCall } from "./org-errors";
import { CSV_TYPE, type Reply } from "./reply";

type Operation = "query" | "queryAll";

interface QueryJob {
  id: string;
  operation: Operation;
  object: string;
  query: string;
  createdById: string;
  createdDate: string;
  systemModstamp: string;
  state: JobState;
  columnDelimiter: ColumnDelimiter;
  lineEnding: LineEnding;
  apiVersion: number;
  result: QueryResult;
  /** Why Bulk query refuses this query; the job ends Failed with it. */
  unsupported: string | undefined;
  injected: PendingJobFailure | undefined;
  csv: MaterializedCsv | undefined;
  numberRecordsProcessed: number;
  totalProcessingTime: number;
  errorMessage: string | undefined;
}

const MAX_PAGES_PER_RESPONSE = 5;
const QUERY_TIMEOUT = "Your query request was running for too long.";

/** Locators are the base64 of the first row's offset (as Salesforce's are), so they are stable. */
function encodeLocator(offset: number): string {
  return Buffer.from(String(offset)).toString("base64url");
}

function decodeLocator(locator: string): number {
  const offset = Number(Buffer.from(locator, "base64url").toString("utf8"));
  if (!Number.isInteger(offset) || offset < 0 || encodeLocator(offset) !== locator) {
    throw new ApiError(400, "INVALIDLOCATOR", `Invalid locator: ${locator}`);
  }
  return offset;
}

function unsupportedReason(result: QueryResult, services: Services): string | undefined {
  const def = services.org.describe(result.object);
  if (!def.bulkQuerySupported) return `Entity '${def.name}' is not supported by the Bulk API.`;
  // Bulk query does not support COUNT() (SALESFORCE-PROTOCOL.md): a client counts through REST.
  if (result.countOnly) return "FeatureNotEnabled : Aggregate functions are not supported by Bulk API query";
  for (const column of result.columns) {
    if (column.field.type === "address" || column.field.type === "location") {
      return "FUNCTIONALITY_NOT_ENABLED: Selecting compound data not supported in Bulk Query";
    }
    if (column.field.type === "base64") return "FeatureNotEnabled : Binary field not supported";
  }
  return undefined;
}

export class BulkQueries {
  private readonly jobs = new Map<string, QueryJob>();

  constructor(private readonly services: Services) {}

  async create(ctx: RequestContext): Promise<Reply> {
    const session = requireSession(ctx);
    const body = await jsonObjectBody(ctx);
    const operation = body.operation;
    if (operation !== "query" && operation !== "queryAll") throw invalidProperty("operation", operation);
    if (typeof body.query !== "string" || body.query.trim() === "")
      throw invalidProperty("query", body.query);
    contentTypeOf(body);
    const columnDelimiter = delimiterOf(body);
    const lineEnding = lineEndingOf(body);
    const soql = body.query;
    const org = this.services.org;
    const result = orgCall(() => org.query(soql, { includeDeleted: operation === "queryAll" }));
    const limits = this.services.limits;
    if (!limits.trySpend("DailyBulkV2QueryJobs")) {
      const max = limits.get("DailyBulkV2QueryJobs").Max;
      throw new ApiError(
        400,
        "LIMIT_EXCEEDED",
        `Max bulk v2 query jobs (${max}) per 24 hrs has been reached`,
      );
    }
    const now = orgNow(org);
    const job: QueryJob = {
      id: jobIds.next(),
      operation,
      object: org.describe(result.object).name,
      query: soql,
      createdById: session.userId,
      createdDate: now,
      systemModstamp: now,
      state: "UploadComplete",
      columnDelimiter,
      lineEnding,
      apiVersion: Number(ctx.version),
      result,
      unsupported: unsupportedReason(result, this.services),
      injected: this.services.faults.takeJobFailure("query"),
      csv: undefined,
      numberRecordsProcessed: 0,
      totalProcessingTime: 0,
      errorMessage: undefined,
    };
    this.jobs.set(job.id, job);
    this.services.timers.after(
      this.services.bulk.queuedMs,
      () => this.process(job),
      (error) => this.crash(job, error),
    );
    return jobReply(200, this.summary(job));
  }

  list(ctx: RequestContext): Reply {
    const jobType = ctx.query.get("jobType");
    const records = [...this.jobs.values()]
      .filter(() => jobType === null || jobType === "V2Query")
      .map((job) => ({ ...this.summary(job), jobType: "V2Query" }));
    return listReply(records);
  }

  info(ctx: RequestContext): Reply {
    return jobReply(200, this.details(this.job(ctx)));
  }

  async patch(ctx: RequestContext): Promise<Reply> {
    const job = this.job(ctx);
    const body = await jsonObjectBody(ctx);
    if (body.state !== "Aborted") throw invalidProperty("state", body.state);
    if (job.state === "JobComplete") throw invalidJobState("Aborting already Completed Job not allowed");
    if (TERMINAL_STATES.has(job.state))
      throw invalidJobState(`Aborting a job in state ${job.state} not allowed`);
    this.finish(job, "Aborted");
    return jobReply(200, this.summary(job));
  }

  remove(ctx: RequestContext): Reply {
    const job = this.job(ctx);
    if (job.state === "InProgress")
      throw invalidJobState("Deleting a job that is in progress is not allowed");
    if (job.state === "UploadComplete") job.state = "Aborted";
    this.jobs.delete(job.id);
    return { status: 204 };
  }

  /** GET results?locator=&maxRecords=: one page of CSV, header included, with its locator headers. */
  results(ctx: RequestContext): Reply {
    const job = this.job(ctx);
    const csv = this.completed(job);
    const pageRows = this.pageRows(ctx);
    const locator = ctx.query.get("locator");
    const offset = locator === null || locator === "" || locator === "null" ? 0 : decodeLocator(locator);
    const end = Math.min(offset + pageRows, csv.rowCount);
    const slice = csv.slice(offset, end);
    const header = csv.header;
    return {
      status: 200,
      headers: {
        "Content-Type": CSV_TYPE,
        "Sforce-Locator": end < csv.rowCount ? encodeLocator(end) : "null",
        "Sforce-NumberOfRecords": Math.max(0, end - offset),
      },
      stream: {
        length: header.length + slice.bytes,
        write: async (out) => {
          await out.write(header);
          for (const buffer of slice.buffers) await out.write(buffer);
        },
      },
    };
  }

  /** GET resultPages (v58+): up to five result URLs per response, for parallel download. */
  resultPages(ctx: RequestContext): Reply {
    if (Number(ctx.version) < 58) throw notFound();
    const job = this.job(ctx);
    const csv = this.completed(job);
    const pageRows = this.pageRows(ctx);
    const locator = ctx.query.get("locator");
    const start = locator === null || locator === "" ? 0 : decodeLocator(locator);
    const base = `/services/data/v${ctx.version}/jobs/query/${job.id}`;
    const resultPages: Array<{ resultUrl: string }> = [];
    let offset = start;
    while (resultPages.length < MAX_PAGES_PER_RESPONSE && (offset < csv.rowCount || offset === 0)) {
      const locatorPart = offset === 0 ? "" : `locator=${encodeLocator(offset)}&`;
      resultPages.push({ resultUrl: `${base}/results?${locatorPart}maxRecords=${pageRows}` });
      offset += pageRows;
    }
    const done = offset >= csv.rowCount;
    return jobReply(200, {
      resultPages,
      nextRecordsUrl: done
        ? null
        : `${base}/resultPages?locator=${encodeLocator(offset)}&maxRecords=${pageRows}`,
      done,
    });
  }

  private pageRows(ctx: RequestContext): number {
    const raw = ctx.query.get("maxRecords");
    if (raw === null || raw === "") return this.services.bulk.defaultPageRows;
    const value = Number(raw);
    if (!Number.isInteger(value) || value <= 0) throw invalidProperty("maxRecords", raw);
    return value;
  }

  private completed(job: QueryJob): MaterializedCsv {
    if (job.state !== "JobComplete" || job.csv === undefined) {
      throw invalidJobState(
        `Job ${job.id} is in state ${job.state}; results are available once it is JobComplete.`,
      );
    }
    return job.csv;
  }

  private job(ctx: RequestContext): QueryJob {
    const job = this.jobs.get(ctx.params.jobId ?? "");
    if (job === undefined) throw notFound();
    return job;
  }

  private summary(job: QueryJob): Record<string, unknown> {
    return {
      id: job.id,
      operation: job.operation,
      object: job.object,
      createdById: job.createdById,
      createdDate: job.createdDate,
      systemModstamp: job.systemModstamp,
      state: job.state,
      concurrencyMode: "Parallel",
      contentType: "CSV",
      apiVersion: job.apiVersion,
      lineEnding: job.lineEnding,
      columnDelimiter: job.columnDelimiter,
    };
  }

  private details(job: QueryJob): Record<string, unknown> {
    const info: Record<string, unknown> = {
      ...this.summary(job),
      jobType: "V2Query",
      numberRecordsProcessed: job.numberRecordsProcessed,
      retries: 0,
      totalProcessingTime: job.totalProcessingTime,
      isPkChunkingSupported: true,
    };
    if (job.errorMessage !== undefined) info.errorMessage = job.errorMessage;
    return info;
  }

  private finish(job: QueryJob, state: JobState, errorMessage?: string): void {
    job.state = state;
    job.errorMessage = errorMessage;
    job.systemModstamp = orgNow(this.services.org);
  }

  private crash(job: QueryJob, error: unknown): void {
    if (TERMINAL_STATES.has(job.state)) return;
    this.finish(job, "Failed", `InternalServerError : ${(error as Error).message ?? String(error)}`);
  }

  private async process(job: QueryJob): Promise<void> {
    if (job.state !== "UploadComplete") return;
    job.state = "InProgress";
    job.systemModstamp = orgNow(this.services.org);
    const started = performance.now();
    if (job.unsupported !== undefined) {
      this.finish(job, "Failed", job.unsupported);
      return;
    }
    if (job.injected !== undefined) {
      this.finish(job, "Failed", job.injected.errorMessage ?? QUERY_TIMEOUT);
      return;
    }
    const csv = await this.materialize(job);
    if (csv === undefined || job.state !== "InProgress") return;
    const { processingMsPer10k } = this.services.bulk;
    const wanted = (processingMsPer10k * csv.rowCount) / 10_000;
    const spent = performance.now() - started;
    if (wanted > spent) await this.services.timers.sleep(wanted - spent);
    if (job.state !== "InProgress") return;
    this.services.limits.spendUpTo("DailyBulkV2QueryFileStorageMB", Math.ceil(csv.byteLength / 1_000_000));
    job.csv = csv;
    job.numberRecordsProcessed = csv.rowCount;
    job.totalProcessingTime = Math.round(performance.now() - started);
    this.finish(job, "JobComplete");
  }

  /** Formats every row once, yielding to the event loop every ~20 ms so the server keeps answering. */
  private async materialize(job: QueryJob): Promise<MaterializedCsv | undefined> {
    const format = bulkRowWriter(job.result.columns, job.columnDelimiter, job.lineEnding);
    const csv = new MaterializedCsv(Buffer.from(format.header, "utf8"));
    let sliceStart = performance.now();
    let count = 0;
    for (const row of job.result.rows()) {
      format.write(row, csv);
      count += 1;
      if ((count & 1023) === 0 && performance.now() - sliceStart > 20) {
        job.numberRecordsProcessed = count;
        await yieldToLoop();
        if (job.state !== "InProgress" || this.services.timers.isStopped) return undefined;
        sliceStart = performance.now();
      }
    }
    csv.finish();
    return csv;
  }
}
