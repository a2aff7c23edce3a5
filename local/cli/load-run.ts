/**
 * One inbound file through the local load state machine: dropped under `inbound/` (the embedded S3's
 * object-created hook starts the load, as the deployed rule would), uploaded to a real bucket and
 * triggered here, or an object already in the bucket started by hand. The report comes from the run's
 * own `summary.json`, which the load writes whether every row loaded or not.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { basename } from "node:path";
import type { InboundOperation, Layout } from "../../functions/core/layout";
import { DRY_RUN_FOLDER } from "../../functions/core/load/load-request";
import type { DiffSource, LoadCounts, LoadSummary, RowFate } from "../../functions/core/load/load-state";
import type { ObjectStore } from "../../functions/core/ports";
import { ConfigurationError } from "../../functions/errors";
import { loadExecutionName } from "../../functions/load-trigger/execution-name";
import { toEventBridgeEvent } from "../aws/s3-event";
import type { LocalExecution, LocalLoadTrigger } from "../stepfunctions/state-machine";
import { LOCAL_ACCOUNT } from "../stepfunctions/synthesized-stack";
import { causeMessage, raiseInputError } from "./execution-errors";
import type { InboundLoads } from "./inbound-loads";
import type { Runs } from "./runs";

export interface LoadTarget {
  object: string;
  operation: InboundOperation;
  externalIdField?: string;
}

export type LoadStatus = "succeeded" | "partial" | "rejected" | "failed" | "duplicate" | "planned";

export interface LoadReport {
  /** The execution name, which is the load's run id. */
  runId: string;
  status: LoadStatus;
  bucket: string;
  key: string;
  object?: string;
  operation?: string;
  externalIdField?: string;
  counts?: LoadCounts;
  /** Final failures by Salesforce error code. */
  errorCodes?: Record<string, number>;
  api?: string;
  apiCalls?: number;
  resultsFolder?: string;
  /** The result files written (summary, success, failed, unprocessed, rejected). */
  files?: Record<string, string>;
  /** A dry run's rows by fate (plan.json and plan.csv hold the plan). */
  planned?: Record<RowFate, number>;
  /** Where skipUnchanged or the dry run read current values. */
  diffSource?: DiffSource;
  /** For a duplicate: the run that holds the file version and how it went. */
  claimedBy?: { runId: string; status: string; summaryKey?: string };
  message: string;
  seconds: number;
}

const CONTENT_TYPES: Array<[RegExp, string]> = [
  [/\.csv(\.gz)?$/i, "text/csv"],
  [/\.jsonl(\.gz)?$/i, "application/x-ndjson"],
];

/** `inbound/<Object>/<operation>[/<ExternalIdField>]/<file>`: where a file must land to be loaded. */
export function inboundKey(layout: Layout, target: LoadTarget, fileName: string, dryRun = false): string {
  if (target.operation === "upsert" && !target.externalIdField) {
    throw new ConfigurationError("An upsert needs --external-id FIELD (an external id field of the object).");
  }
  if (target.operation !== "upsert" && target.externalIdField) {
    throw new ConfigurationError(`--external-id applies to upsert only, not to ${target.operation}.`);
  }
  const folder = [target.object, target.operation, target.externalIdField].filter(Boolean).join("/");
  return `${layout.inboundPrefix()}${folder}/${dryRun ? `${DRY_RUN_FOLDER}/` : ""}${fileName}`;
}

/** A file under a `dry-run/` folder below its operation (and external id) folder: the load only plans it. */
export function isDryRunKey(layout: Layout, key: string): boolean {
  try {
    return layout.parseInbound(key).file.split("/")[0] === DRY_RUN_FOLDER;
  } catch {
    return false;
  }
}

export async function assertReadableFile(path: string): Promise<void> {
  try {
    const info = await stat(path);
    if (!info.isFile())
      throw new ConfigurationError(
        `${path} is not a file: give --file the path of a CSV or JSON-lines file.`,
      );
  } catch (error) {
    if (error instanceof ConfigurationError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new ConfigurationError(`Cannot read ${path} (${code}): check the path given to --file.`);
  }
}

async function upload(store: ObjectStore, path: string, key: string): Promise<void> {
  await assertReadableFile(path);
  const contentType = CONTENT_TYPES.find(([pattern]) => pattern.test(path))?.[1];
  await store.upload(key, createReadStream(path), contentType ? { contentType } : {});
}

async function readSummary(store: ObjectStore, key: string): Promise<LoadSummary | undefined> {
  const bytes = await store.get(key);
  return bytes === undefined ? undefined : (JSON.parse(new TextDecoder().decode(bytes)) as LoadSummary);
}

interface DuplicateOutput {
  status: "duplicate";
  latestRunId: string;
  latestStatus: string;
  summaryKey?: string;
  message: string;
}

/** What one load execution did, from its summary in S3 (or its output when it stood down). */
export async function loadReport(
  runs: Runs,
  execution: LocalExecution,
  file: { bucket: string; key: string },
  started: number,
  resultsFolder = runs.runtime.layout.resultsFolder(file.key),
): Promise<LoadReport> {
  const { runtime } = runs;
  const base = { runId: execution.name, bucket: file.bucket, key: file.key };
  const seconds = (Date.now() - started) / 1000;
  const output = execution.output as { status?: string } | undefined;
  if (execution.status === "SUCCEEDED" && output?.status === "duplicate") {
    const duplicate = output as DuplicateOutput;
    const claimedBy: LoadReport["claimedBy"] = {
      runId: duplicate.latestRunId,
      status: duplicate.latestStatus,
    };
    if (duplicate.summaryKey) claimedBy.summaryKey = duplicate.summaryKey;
    return { ...base, status: "duplicate", claimedBy, message: duplicate.message, seconds };
  }
  const summaryKey = `${resultsFolder}summary.json`;
  const summary = await readSummary(runtime.store, summaryKey);
  if (summary === undefined || summary.runId !== execution.name) {
    // Nothing of this run reached S3: the claim failed (a missing file, a misplaced key) or worse.
    raiseInputError(execution);
    const reason =
      execution.status === "FAILED" ? `${execution.error}: ${causeMessage(execution.cause)}` : "no summary";
    return {
      ...base,
      status: "failed",
      message: `The load of ${file.key} wrote no summary (${reason}).`,
      seconds,
    };
  }
  const report: LoadReport = {
    ...base,
    status: summary.outcome,
    object: summary.object,
    operation: summary.operation,
    counts: summary.counts,
    errorCodes: summary.errorCodes,
    apiCalls: summary.apiCalls,
    resultsFolder: summary.resultsFolder,
    files: summary.files,
    message: summary.problem ? `${summary.message} ${summary.problem.fix}` : summary.message,
    seconds,
  };
  if (summary.externalIdField) report.externalIdField = summary.externalIdField;
  if (summary.api) report.api = summary.api;
  if (summary.planned) report.planned = summary.planned;
  if (summary.diffSource) report.diffSource = summary.diffSource;
  return report;
}

async function fromTrigger(
  runs: Runs,
  trigger: LocalLoadTrigger,
  file: { bucket: string; key: string },
  started: number,
): Promise<LoadReport> {
  if (trigger.status === "started") return loadReport(runs, trigger.execution, file, started);
  if (trigger.status === "duplicate") {
    return {
      runId: trigger.executionName,
      status: "duplicate",
      ...file,
      message: `${file.key} was already loaded by execution ${trigger.executionName} in this session.`,
      seconds: (Date.now() - started) / 1000,
    };
  }
  throw new ConfigurationError(
    `${file.key} does not match the inbound rule, so no load started: put files under ${runs.runtime.layout.inboundPrefix()}<Object>/<operation>/.`,
  );
}

/** Drop a local file under `inbound/` in the embedded bucket; its object-created event starts the load. */
export async function dropFile(
  runs: Runs,
  inbound: InboundLoads,
  path: string,
  target: LoadTarget,
  fileName = basename(path),
  dryRun = false,
): Promise<LoadReport> {
  const started = Date.now();
  const { runtime } = runs;
  const key = inboundKey(runtime.layout, target, fileName, dryRun);
  const triggered = inbound.expect(key);
  await upload(runtime.store, path, key);
  return fromTrigger(runs, await triggered, { bucket: runtime.config.bucket, key }, started);
}

/**
 * Upload to a real bucket and start the load here with the event S3 would send. A deployed stack on the
 * same bucket sees the file too: the file version's claim lets only one of the two load it.
 */
export async function uploadAndTrigger(
  runs: Runs,
  path: string,
  target: LoadTarget,
  region: string,
  dryRun = false,
): Promise<LoadReport> {
  const started = Date.now();
  const { runtime } = runs;
  const key = inboundKey(runtime.layout, target, basename(path), dryRun);
  await upload(runtime.store, path, key);
  const info = await runtime.store.head(key);
  if (!info)
    throw new ConfigurationError(`s3://${runtime.config.bucket}/${key} vanished right after its upload.`);
  const event = toEventBridgeEvent(
    {
      bucket: runtime.config.bucket,
      key,
      size: info.size,
      eTag: (info.etag ?? "").replaceAll('"', ""),
      reason: "PutObject",
      sequencer: Date.now().toString(16).toUpperCase().padStart(18, "0"),
    },
    {
      account: LOCAL_ACCOUNT,
      region,
      ...(info.versionId === undefined ? {} : { versionId: info.versionId }),
    },
  );
  return fromTrigger(
    runs,
    await runs.runner.triggerLoad(event),
    { bucket: runtime.config.bucket, key },
    started,
  );
}

/** Start a load of an object already in the bucket, as a console run would (optionally taking over a failed one). */
export async function loadExistingKey(
  runs: Runs,
  key: string,
  options: { target?: Partial<LoadTarget>; retry?: boolean; dryRun?: boolean; skipUnchanged?: boolean },
): Promise<LoadReport> {
  const started = Date.now();
  const { runtime } = runs;
  const bucket = runtime.config.bucket;
  const info = await runtime.store.head(key);
  if (!info) {
    throw new ConfigurationError(
      `s3://${bucket}/${key} does not exist: check --key (it is the object's full key).`,
    );
  }
  const request: Record<string, unknown> = { bucket, key };
  if (options.target?.object) request.object = options.target.object;
  if (options.target?.operation) request.operation = options.target.operation;
  if (options.target?.externalIdField) request.externalIdField = options.target.externalIdField;
  if (options.retry) request.retry = true;
  if (options.dryRun) request.dryRun = true;
  if (options.skipUnchanged) request.skipUnchanged = true;
  const name = loadExecutionName({ bucket, key, version: info.versionId ?? info.etag }, runtime.layout);
  // A retry or a dry run is a new execution of the same file version: Step Functions needs a new name.
  const prefix = options.retry ? "r" : options.dryRun ? "d" : undefined;
  const executionName = prefix ? `${prefix}${Date.now().toString(36)}-${name}`.slice(0, 80) : name;
  const execution = await runs.runner.runLoad(request, { name: executionName });
  // A dry run of a file outside a dry-run folder writes its results beside the real load's, in dry-run/.
  const inFolder = isDryRunKey(runtime.layout, key);
  const folder =
    runtime.layout.resultsFolder(key) + (options.dryRun && !inFolder ? `${DRY_RUN_FOLDER}/` : "");
  return loadReport(runs, execution, { bucket, key }, started, folder);
}
