import { once } from "node:events";
import { PassThrough } from "node:stream";
import {
  ConfigurationError,
  DataError,
  describeError,
  LeaseConflictError,
  ReconciliationError,
  SaddleError,
  TransientError,
} from "../errors";
import {
  abortQueryJob,
  assertQueryJobUsable,
  createQueryJob,
  deleteQueryJob,
  getQueryJob,
  openResultsPage,
} from "../salesforce/bulk-query";
import type { SalesforceClient } from "../salesforce/client";
import { checkApiReserve, checkLimitReserve } from "../salesforce/limits";
import { nextRestQueryPage, type QueryPage, startRestQuery } from "../salesforce/rest-query";
import { buildSelect, type WindowClause } from "../salesforce/soql";
import type { CatalogStream, ExtractApi, SyncMode } from "./catalog";
import { readStream, refreshStream } from "./discover";
import { BulkCsvToJsonl, type JsonlColumn } from "./formats/extract/bulk-csv-to-jsonl";
import { ParallelGzip } from "./formats/extract/parallel-gzip";
import { restRecordToJson } from "./formats/extract/rest-record";
import { assertRunId, type Layout } from "./layout";
import type { Log, ObjectStore, StateStore, StreamKey } from "./ports";
import type { ExtractSettings } from "./settings";

export interface ExtractDeps {
  salesforce: SalesforceClient;
  store: ObjectStore;
  state: StateStore;
  layout: Layout;
  connection: string;
  settings: ExtractSettings;
  log: Log;
  /** Local clock (epoch ms), for lease expiry. */
  now?: () => number;
}

/** One object of one run: what the sync state machine's Map hands to extract. */
export interface ExtractTask {
  runId: string;
  object: string;
  mode: SyncMode;
  catalogKey: string;
}

/** A part written so far: [index, records, bytes]. Compact, because it rides in the payload. */
export type PartEntry = [number, number, number];

/**
 * The continuation: everything the next action needs, small enough for a Step Functions payload.
 * Records never ride in it; S3 keys and counters do.
 */
export interface ExtractState extends ExtractTask {
  status: "polling" | "fetching" | "ready";
  api: ExtractApi;
  apiReason?: string;
  /** Distinguishes parts of successive jobs (or REST attempts) of one run. */
  jobTag: string;
  runDate: string;
  startedAt: string;
  window: { field: string | null; start?: string; end?: string };
  cursorBefore?: string;
  /** Things the consumer should know about this run's data (also in the manifest). */
  warnings?: string[];
  soql: string;
  operation: "query" | "queryAll";
  jobId?: string;
  jobIds: string[];
  /** Bulk: locator of the next page (undefined: first page). REST: next records URL. */
  locator?: string;
  nextUrl?: string;
  /** Rows the source says the whole result has (Bulk numberRecordsProcessed, REST totalSize). */
  expectedRecords?: number;
  parts: PartEntry[];
  records: number;
  bytes: number;
  apiCalls: number;
  polls: number;
  waitSeconds: number;
}

export interface ExtractSummary {
  object: string;
  status: "succeeded" | "failed";
  mode: SyncMode;
  records: number;
  parts: number;
  bytes: number;
  apiCalls: number;
  manifestKey?: string;
  /** The date in the run folder's key (`dt=`): with the run id and object it names the manifest. */
  runDate?: string;
  cursor?: string;
  error?: Record<string, string | number>;
}

export interface Manifest {
  manifestVersion: 1;
  connection: string;
  object: string;
  mode: SyncMode;
  runId: string;
  api: ExtractApi;
  apiReason?: string;
  catalogKey: string;
  window: ExtractState["window"];
  cursorBefore?: string;
  cursorAfter?: string;
  warnings?: string[];
  parts: Array<{ key: string; records: number; bytes: number }>;
  totals: { records: number; bytes: number; parts: number };
  salesforceJobIds: string[];
  apiCalls: number;
  startedAt: string;
  committedAt: string;
}

/** A run tries this many Bulk jobs for an object before it gives up on a job that keeps failing. */
const MAX_BULK_JOBS = 3;

/** Salesforce keeps deleted rows in the recycle bin for 15 days; warn a day early. */
const RECYCLE_BIN_MS = 14 * 86_400_000;

const floorToSecond = (ms: number) => Math.floor(ms / 1000) * 1000;
const iso = (ms: number) => new Date(ms).toISOString();

function streamKey(deps: ExtractDeps, object: string): StreamKey {
  return { connection: deps.connection, object };
}

function columnsOf(stream: CatalogStream): JsonlColumn[] {
  const byName = new Map(stream.fields.map((field) => [field.name, field]));
  return stream.selectFields.map((name) => ({ name, sfType: byName.get(name)?.sfType ?? "string" }));
}

/** Count the API calls an action spends, onto the continuation. */
async function counted<T extends { apiCalls: number }>(deps: ExtractDeps, run: () => Promise<T>): Promise<T> {
  const before = deps.salesforce.totalCalls;
  const result = await run();
  result.apiCalls += deps.salesforce.totalCalls - before;
  return result;
}

function isBulkUnsupported(error: unknown): boolean {
  const text = error instanceof Error ? error.message : String(error);
  return /not supported|INVALIDENTITY|FeatureNotEnabled|not allowed.*bulk/i.test(text);
}

/**
 * Start: take the object's lease, check the org's limits, compute the window from the org's clock,
 * and start a Bulk query job (or prepare the REST query).
 */
export async function startExtract(
  deps: ExtractDeps,
  task: ExtractTask,
  remainingMs: () => number = () => 900_000,
): Promise<ExtractState> {
  assertRunId(task.runId);
  const now = deps.now ?? Date.now;
  const { settings, salesforce } = deps;
  const key = streamKey(deps, task.object);
  const lease = await deps.state.acquireLease(key, task.runId, settings.leaseMs, now());
  try {
    return await counted(deps, async () => {
      let stream = await readStream(deps.store, task.catalogKey);
      let catalogKey = task.catalogKey;
      // A fresh usage header (free) or one /limits call: both also tell the org's time.
      let limitsRead = await checkApiReserve(salesforce, settings.reserve);
      // The org's clock, not ours: a skewed local clock must not skip rows.
      const serverNow = salesforce.serverNow();
      const field = stream.cursorField;
      if (task.mode === "incremental" && !field) {
        throw new ConfigurationError(
          `${task.object} has no cursor field (SystemModstamp, LastModifiedDate or CreatedDate), so it can only be synced with full_refresh.`,
          { object: task.object },
        );
      }
      let window: WindowClause | undefined;
      if (field) {
        const end = floorToSecond(serverNow - settings.lagMs);
        let start: number | undefined;
        if (task.mode === "incremental") {
          if (lease.cursor) start = floorToSecond(Date.parse(lease.cursor) - settings.lookbackMs);
          else if (settings.startDate) start = floorToSecond(Date.parse(settings.startDate));
        }
        window = { field, start, end };
      }
      const operation = task.mode === "incremental" && stream.hasIsDeleted ? "queryAll" : "query";
      const warnings: string[] = [];
      if (operation === "queryAll" && lease.cursor && serverNow - Date.parse(lease.cursor) > RECYCLE_BIN_MS) {
        // queryAll sees a deleted row only while it sits in the recycle bin.
        warnings.push(
          `The last sync of ${task.object} was more than 14 days ago: rows deleted since then may have left the recycle bin, so some deletes may be missing. Run a full_refresh to reconcile.`,
        );
        deps.log.warn("extract: deletes may be incomplete", { object: task.object, cursor: lease.cursor });
      }
      const startedAt = iso(now());
      const state: ExtractState = {
        ...task,
        catalogKey,
        status: "fetching",
        api: stream.api,
        apiReason: stream.apiReason,
        jobTag: "r0",
        runDate: startedAt.slice(0, 10),
        startedAt,
        window: {
          field: field ?? null,
          start: window?.start === undefined ? undefined : iso(window.start),
          end: window ? iso(window.end) : undefined,
        },
        cursorBefore: lease.cursor,
        ...(warnings.length > 0 ? { warnings } : {}),
        soql: buildSelect(task.object, stream.selectFields, window),
        operation,
        jobIds: [],
        parts: [],
        records: 0,
        bytes: 0,
        apiCalls: 0,
        polls: 0,
        waitSeconds: settings.pollFirstSeconds,
      };
      if (window?.start !== undefined && window.start >= window.end) {
        // Ran again within the lag: nothing can be read yet. Commit an empty window (cursor unchanged).
        state.status = "ready";
        state.expectedRecords = 0;
        return state;
      }
      if (stream.api === "rest") return state;

      const begin = async (begun: ExtractState): Promise<ExtractState> => {
        if (settings.restMaxRecords > 0) {
          // One REST page first: a small window (the usual incremental run) is done in a call or
          // two, where a Bulk job costs create, polls, results and delete.
          const page = await startRestQuery(salesforce, {
            object: task.object,
            soql: begun.soql,
            includeDeleted: operation === "queryAll",
            batchSize: settings.restBatchSize,
          });
          if (page.totalSize <= settings.restMaxRecords) {
            const rest: ExtractState = {
              ...begun,
              api: "rest",
              apiReason: `${page.totalSize} rows (at most ${settings.restMaxRecords}): REST costs fewer API calls than a Bulk job`,
            };
            return fetchRestPart(deps, rest, columnsOf(stream), remainingMs, page);
          }
        }
        if (!limitsRead && settings.reserve.dailyBulkQueryJobs) {
          await checkLimitReserve(salesforce, {
            dailyApiRequests: settings.reserve.dailyApiRequests,
            dailyBulkQueryJobs: settings.reserve.dailyBulkQueryJobs,
          });
          limitsRead = true;
        }
        const job = await createQueryJob(salesforce, { object: task.object, soql: begun.soql, operation });
        return { ...begun, status: "polling", jobId: job.id, jobIds: [job.id], jobTag: job.id };
      };

      try {
        return await begin(state);
      } catch (error) {
        if (error instanceof ConfigurationError && error.code === "INVALID_FIELD") {
          // A field was removed since discover: re-describe, save the new catalog version, retry once.
          const refreshed = await refreshStream(deps, task.object);
          stream = refreshed.stream;
          catalogKey = refreshed.key;
          deps.log.warn("extract: schema changed since discover, refreshed the stream", {
            object: task.object,
            catalogKey,
          });
          return await begin({
            ...state,
            catalogKey,
            soql: buildSelect(task.object, stream.selectFields, window),
          });
        }
        if (isBulkUnsupported(error)) {
          deps.log.warn("extract: Bulk API refused the object, using REST", { object: task.object });
          return {
            ...state,
            api: "rest",
            apiReason: `Bulk API 2.0 refused the query: ${(error as Error).message}`,
          };
        }
        throw error;
      }
    });
  } catch (error) {
    await deps.state.release(key, task.runId, { status: "failed", error: (error as Error).message });
    throw error;
  }
}

/** Poll: ask the job's state once; say how long to wait before the next poll. Never sleeps. */
export async function pollExtract(deps: ExtractDeps, state: ExtractState): Promise<ExtractState> {
  const now = deps.now ?? Date.now;
  await deps.state.renewLease(streamKey(deps, state.object), state.runId, deps.settings.leaseMs, now());
  return counted(deps, async () => {
    if (!state.jobId)
      throw new ConfigurationError(`Nothing to poll for ${state.object}: no Bulk job in the continuation.`);
    const job = await getQueryJob(deps.salesforce, state.jobId, state.object);
    const next: ExtractState = { ...state, polls: state.polls + 1 };
    if (job.state === "JobComplete") {
      return { ...next, status: "fetching", expectedRecords: job.numberRecordsProcessed };
    }
    if (job.state === "Failed" && isBulkUnsupported(job.errorMessage ?? "")) {
      deps.log.warn("extract: Bulk job failed as unsupported, using REST", {
        object: state.object,
        jobId: job.id,
      });
      return {
        ...next,
        status: "fetching",
        api: "rest",
        jobTag: `${job.id}-rest`,
        apiReason: job.errorMessage,
      };
    }
    if (job.state === "Failed" && state.jobIds.length < MAX_BULK_JOBS) {
      // Salesforce fails a job for its own reasons (a batch that timed out, an internal error): nothing
      // of it was read yet, so a new job for the same window is a clean restart.
      deps.log.warn("extract: Bulk job failed, starting a new one", {
        object: state.object,
        jobId: job.id,
        errorMessage: job.errorMessage,
      });
      const again = await createQueryJob(deps.salesforce, {
        object: state.object,
        soql: state.soql,
        operation: state.operation,
      });
      return {
        ...next,
        status: "polling",
        jobId: again.id,
        jobTag: again.id,
        jobIds: [...state.jobIds, again.id],
        waitSeconds: deps.settings.pollFirstSeconds,
      };
    }
    assertQueryJobUsable(job);
    return {
      ...next,
      status: "polling",
      waitSeconds: Math.min(deps.settings.pollMaxSeconds, Math.max(1, state.waitSeconds * 2)),
    };
  });
}

/**
 * gzip members compressed at once. Conversion runs on the main thread; two compressions on the libuv
 * threadpool keep a second core busy where there is one, and cost little where there is not.
 */
const GZIP_CONCURRENCY = 2;
/** Input per gzip member: fewer, larger members spend less on starting zlib streams. */
const GZIP_BLOCK_BYTES = 2 * 1024 * 1024;
/** Compressed bytes that may wait for the upload before the writer waits too. */
const UPLOAD_BUFFER_BYTES = 1024 * 1024;

/** Waits until `stream` drains; when `signal` aborts first (the upload failed), throws its reason. */
async function drained(stream: PassThrough, signal: AbortSignal): Promise<void> {
  try {
    await once(stream, "drain", { signal });
  } catch (error) {
    signal.throwIfAborted();
    throw error;
  }
}

/**
 * Write one part: bytes are compressed block by block on the threadpool (ParallelGzip: concatenated
 * gzip members are one gzip file) straight into a multipart upload, so memory holds only what is in
 * flight. Either the whole part lands or the upload is aborted.
 */
async function writePart(
  deps: ExtractDeps,
  key: string,
  produce: (write: (bytes: Uint8Array) => Promise<void>) => Promise<void>,
): Promise<number> {
  const gzip = new ParallelGzip({
    level: deps.settings.gzipLevel,
    concurrency: GZIP_CONCURRENCY,
    blockBytes: GZIP_BLOCK_BYTES,
  });
  const compressed = new PassThrough({ highWaterMark: UPLOAD_BUFFER_BYTES });
  const upload = deps.store.upload(key, compressed, { contentType: "application/gzip" });
  // A failed upload stops the writer, also one waiting for the upload to drain its buffer. Not by
  // racing each write against the upload's promise: every raced result (the members) would stay
  // reachable from that pending promise until the part ends, a page's whole compressed output.
  const uploadFailed = new AbortController();
  upload.catch((error: unknown) => uploadFailed.abort(error));
  const send = async (members: Uint8Array[]) => {
    for (const member of members) {
      uploadFailed.signal.throwIfAborted();
      if (!compressed.write(member)) await drained(compressed, uploadFailed.signal);
    }
  };
  const write = async (bytes: Uint8Array) => {
    await send(await gzip.write(bytes));
  };
  try {
    await produce(write);
    await send(await gzip.end());
  } catch (error) {
    compressed.destroy(error instanceof Error ? error : new Error(String(error)));
    await upload.catch(() => undefined);
    throw error;
  }
  compressed.end();
  const result = await upload;
  return result.bytes;
}

/** Run pages until done or the invocation's time is nearly up; always at least one page. */
export async function fetchExtract(
  deps: ExtractDeps,
  state: ExtractState,
  remainingMs: () => number,
): Promise<ExtractState> {
  const now = deps.now ?? Date.now;
  await deps.state.renewLease(streamKey(deps, state.object), state.runId, deps.settings.leaseMs, now());
  const stream = await readStream(deps.store, state.catalogKey);
  const columns = columnsOf(stream);
  return counted(deps, async () => {
    let current: ExtractState = { ...state, parts: [...state.parts] };
    let slowestPageMs = 0;
    do {
      const started = Date.now();
      current =
        current.api === "bulk"
          ? await fetchBulkPage(deps, current, columns)
          : await fetchRestPart(deps, current, columns, remainingMs);
      slowestPageMs = Math.max(slowestPageMs, Date.now() - started);
    } while (
      current.status === "fetching" &&
      remainingMs() - deps.settings.safetyMarginMs > slowestPageMs * 1.5
    );
    return current;
  });
}

async function fetchBulkPage(
  deps: ExtractDeps,
  state: ExtractState,
  columns: JsonlColumn[],
): Promise<ExtractState> {
  if (!state.jobId) throw new ConfigurationError(`No Bulk job to fetch for ${state.object}.`);
  const index = state.parts.length;
  const key = deps.layout.part(state.object, state.runDate, state.runId, state.jobTag, index);
  const page = await openResultsPage(deps.salesforce, {
    jobId: state.jobId,
    object: state.object,
    locator: state.locator,
    maxRecords: deps.settings.bulkPageRecords,
  });
  const converter = new BulkCsvToJsonl(columns);
  const bytes = await writePart(deps, key, async (write) => {
    try {
      for await (const chunk of page.body) {
        // The lines are a view of the converter's buffer until the next push: ParallelGzip copies
        // them into its block before write returns.
        const out = converter.push(chunk);
        if (out.length > 0) await write(out);
      }
      const tail = converter.endPage();
      if (tail.length > 0) await write(tail);
    } catch (error) {
      if (error instanceof SaddleError && !(error instanceof DataError)) throw error;
      throw new TransientError(
        `Page ${index} of Bulk job ${state.jobId} (${state.object}) was cut short or malformed: ${(error as Error).message}. The page is read again from its locator.`,
        { object: state.object, cause: error },
      );
    }
  });
  const records = converter.records;
  if (page.records !== undefined && page.records !== records) {
    throw new TransientError(
      `Page ${index} of Bulk job ${state.jobId} (${state.object}) held ${records} rows but Salesforce announced ${page.records}; the page is read again.`,
      { object: state.object },
    );
  }
  const parts: PartEntry[] = [...state.parts, [index, records, bytes]];
  const next: ExtractState = {
    ...state,
    parts,
    records: state.records + records,
    bytes: state.bytes + bytes,
    locator: page.nextLocator ?? undefined,
  };
  if (page.nextLocator === null) next.status = "ready";
  deps.log.info("extract: part written", { object: state.object, key, records, bytes });
  return next;
}

async function fetchRestPart(
  deps: ExtractDeps,
  state: ExtractState,
  columns: JsonlColumn[],
  remainingMs: () => number,
  firstPage?: QueryPage,
): Promise<ExtractState> {
  const { salesforce, settings } = deps;
  const index = state.parts.length;
  const key = deps.layout.part(state.object, state.runDate, state.runId, state.jobTag, index);
  let records = 0;
  let nextUrl = state.nextUrl;
  let done = false;
  let totalSize = state.expectedRecords;
  const encoder = new TextEncoder();
  const bytes = await writePart(deps, key, async (write) => {
    let page: QueryPage;
    let pending = firstPage;
    do {
      page = pending
        ? pending
        : nextUrl
          ? await nextRestQueryPage(salesforce, {
              object: state.object,
              nextRecordsUrl: nextUrl,
              batchSize: settings.restBatchSize,
            })
          : await startRestQuery(salesforce, {
              object: state.object,
              soql: state.soql,
              includeDeleted: state.operation === "queryAll",
              batchSize: settings.restBatchSize,
            });
      pending = undefined;
      totalSize = page.totalSize;
      if (page.records.length > 0) {
        const lines = page.records.map((record) => restRecordToJson(record, columns)).join("\n");
        await write(encoder.encode(`${lines}\n`));
        records += page.records.length;
      }
      done = page.done;
      nextUrl = page.nextRecordsUrl;
      if (!done && !nextUrl) {
        throw new TransientError(
          `A REST query page for ${state.object} is not the last but has no nextRecordsUrl.`,
          {
            object: state.object,
          },
        );
      }
    } while (!done && records < settings.restPartRecords && remainingMs() > settings.safetyMarginMs);
  });
  const next: ExtractState = {
    ...state,
    parts: [...state.parts, [index, records, bytes]],
    records: state.records + records,
    bytes: state.bytes + bytes,
    nextUrl: done ? undefined : nextUrl,
    expectedRecords: totalSize,
  };
  if (done) next.status = "ready";
  deps.log.info("extract: part written", { object: state.object, key, records, bytes });
  return next;
}

/**
 * Commit: check nothing was lost, write the manifest, then advance the cursor to the window end with
 * a write that requires this run's lease. The cursor never moves past data that is not in S3.
 */
export async function commitExtract(deps: ExtractDeps, state: ExtractState): Promise<ExtractSummary> {
  const now = deps.now ?? Date.now;
  if (state.status !== "ready") {
    throw new ConfigurationError(`${state.object} is not ready to commit (status ${state.status}).`);
  }
  if (state.expectedRecords !== undefined && state.expectedRecords !== state.records) {
    throw new ReconciliationError(
      `${state.object}: Salesforce reported ${state.expectedRecords} rows but ${state.records} were written; the run is not committed and the window will be read again.`,
      { object: state.object },
    );
  }
  const manifestKey = deps.layout.manifest(state.object, state.runDate, state.runId);
  const previous = state.cursorBefore ? Date.parse(state.cursorBefore) : undefined;
  const end = state.window.end ? Date.parse(state.window.end) : undefined;
  // Never move a cursor backwards (a full refresh or an empty window must not rewind it).
  const cursorAfter =
    end === undefined
      ? state.cursorBefore
      : previous !== undefined && previous > end
        ? state.cursorBefore
        : state.window.end;
  const committedAt = iso(now());
  const manifest: Manifest = {
    manifestVersion: 1,
    connection: deps.connection,
    object: state.object,
    mode: state.mode,
    runId: state.runId,
    api: state.api,
    apiReason: state.apiReason,
    catalogKey: state.catalogKey,
    window: state.window,
    cursorBefore: state.cursorBefore,
    cursorAfter,
    ...(state.warnings ? { warnings: state.warnings } : {}),
    parts: state.parts.map(([index, records, bytes]) => ({
      key: deps.layout.part(state.object, state.runDate, state.runId, state.jobTag, index),
      records,
      bytes,
    })),
    totals: { records: state.records, bytes: state.bytes, parts: state.parts.length },
    salesforceJobIds: state.jobIds,
    apiCalls: state.apiCalls,
    startedAt: state.startedAt,
    committedAt,
  };
  // Delete the finished job before the manifest so its call is counted in it.
  const before = deps.salesforce.totalCalls;
  if (state.jobId) {
    try {
      await deleteQueryJob(deps.salesforce, state.jobId, state.object);
    } catch (error) {
      deps.log.warn("extract: could not delete the finished Bulk job", {
        object: state.object,
        jobId: state.jobId,
        error: describeError(error),
      });
    }
  }
  manifest.apiCalls += deps.salesforce.totalCalls - before;
  await deps.store.put(manifestKey, `${JSON.stringify(manifest, null, 2)}\n`, {
    contentType: "application/json",
  });
  try {
    await deps.state.commit(streamKey(deps, state.object), state.runId, {
      runId: state.runId,
      cursor: cursorAfter,
      cursorField: state.window.field ?? undefined,
      manifestKey,
      committedAt,
    });
  } catch (error) {
    // A retried commit whose first attempt went through (its answer lost) finds the lease released:
    // that is success, not a conflict.
    const current =
      error instanceof LeaseConflictError ? await deps.state.get(streamKey(deps, state.object)) : undefined;
    if (
      current?.lastRunId !== state.runId ||
      current.lastManifestKey !== manifestKey ||
      current.lastStatus !== "succeeded"
    ) {
      throw error;
    }
  }
  deps.log.info("extract: committed", {
    object: state.object,
    records: state.records,
    parts: state.parts.length,
    cursor: cursorAfter,
    apiCalls: manifest.apiCalls,
  });
  return {
    object: state.object,
    status: "succeeded",
    mode: state.mode,
    records: state.records,
    parts: state.parts.length,
    bytes: state.bytes,
    apiCalls: manifest.apiCalls,
    manifestKey,
    runDate: state.runDate,
    cursor: cursorAfter,
  };
}

/**
 * After a failure: abort the Bulk job if one is running and release the lease, recording the error.
 * The cursor stays where it was, so the next run reads the same window again.
 */
export async function abortExtract(
  deps: ExtractDeps,
  state: ExtractTask & Partial<ExtractState>,
  error: Record<string, string | number>,
): Promise<ExtractSummary> {
  if (state.jobId) {
    try {
      await abortQueryJob(deps.salesforce, state.jobId, state.object);
    } catch (abortError) {
      // A job that already finished cannot be aborted; delete it instead so nothing is left behind.
      await deleteQueryJob(deps.salesforce, state.jobId, state.object).catch(() => undefined);
      deps.log.debug("extract: abort of the Bulk job failed", {
        object: state.object,
        error: describeError(abortError),
      });
    }
  }
  // The run's summary reads the message here: the execution's state keeps only the error's name, and
  // the state item below keeps it only while this run holds the object.
  await deps.store.put(
    deps.layout.runError(state.runId, state.object),
    `${JSON.stringify({ object: state.object, runId: state.runId, error }, null, 2)}\n`,
    { contentType: "application/json" },
  );
  // Only a lease this run holds is released; another run's lease is left alone.
  await deps.state.release(streamKey(deps, state.object), state.runId, {
    status: "failed",
    error: String(error.message ?? error.name ?? "failed"),
  });
  deps.log.error("extract: object failed", { object: state.object, error });
  return {
    object: state.object,
    status: "failed",
    mode: state.mode,
    records: state.records ?? 0,
    parts: state.parts?.length ?? 0,
    bytes: state.bytes ?? 0,
    apiCalls: state.apiCalls ?? 0,
    error,
  };
}
