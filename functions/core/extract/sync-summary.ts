import { readPlannedObjects } from "../discover";
import type { Layout } from "../layout";
import type { ObjectStore } from "../ports";
import {
  type ExtractSummary,
  type PartialReport,
  partialReport,
  type ReconciledReport,
  reconciledReport,
} from "./extract-state";

/**
 * One object's outcome as the sync state machine hands it to the summary. Each stays in the execution's
 * 256 KiB state until then, so the state machine keeps few, short fields: commit's object, status,
 * records, deletes, apiCalls and runDate (which names the manifest); a failure's error name (`errorName`), its
 * message being in the run's folder (`runs/<runId>/errors/`); discover's failures come with their error.
 */
export type ObjectOutcome = Partial<ExtractSummary> & { object: string; errorName?: string };

/** What the run summary in S3 says of each object. */
export interface ObjectReport {
  object: string;
  status: "succeeded" | "failed";
  records: number;
  /** Deletes the org's delete log reported, landed as delete rows (incremental runs). */
  deletes: number;
  /** Id reconciliation, when the object's run reconciled: deletes found, rows re-fetched, API calls. */
  reconciled?: ReconciledReport;
  /** Partial reads, when the object's run made any: formula rows refreshed, fields backfilled, API calls. */
  partial?: PartialReport;
  apiCalls: number;
  manifestKey?: string;
  error?: string;
}

/** The whole run, written to `runs/<runId>/summary.json`: every object's outcome and manifest. */
export interface SyncRunReport {
  runId: string;
  finishedAt: string;
  objects: number;
  succeeded: number;
  failed: number;
  records: number;
  deletes: number;
  /** Deletes Id reconciliation found, and rows it fetched again, over every object. */
  reconciledDeletes: number;
  refetched: number;
  apiCalls: number;
  outcomes: ObjectReport[];
  manifests: string[];
}

/** The execution's output: counts, the first failures, and where the run summary is. */
export interface SyncSummary {
  runId: string;
  objects: number;
  succeeded: number;
  failed: number;
  records: number;
  deletes: number;
  reconciledDeletes: number;
  refetched: number;
  apiCalls: number;
  /** The first failures (all of them are in the run summary). */
  failures: Array<{ object: string; error: string }>;
  /** `runs/<runId>/summary.json`: every object's outcome and manifest key. */
  summaryKey: string;
  /** One line for the Step Functions console (the Fail state's cause). */
  message: string;
}

/** Failures the execution's output lists; it must stay within Step Functions' 256 KiB. */
export const MAX_FAILURES_LISTED = 20;
const MAX_MESSAGE_CHARS = 4000;

function errorOf(outcome: ObjectOutcome): string {
  if (outcome.error) return `${outcome.error.name}: ${outcome.error.message}`;
  return outcome.errorName ?? "failed";
}

function reportOf(outcome: ObjectOutcome, runId: string, layout: Layout): ObjectReport {
  const succeeded = outcome.status === "succeeded";
  const report: ObjectReport = {
    object: outcome.object,
    status: succeeded ? "succeeded" : "failed",
    records: succeeded ? (outcome.records ?? 0) : 0,
    deletes: succeeded ? (outcome.deletes ?? 0) : 0,
    apiCalls: outcome.apiCalls ?? 0,
  };
  const reconciled = reconciledReport(outcome.reconciled);
  if (succeeded && reconciled) report.reconciled = reconciled;
  const partial = partialReport(outcome.partial);
  if (succeeded && partial) report.partial = partial;
  // The state machine keeps the run folder's date, not the key: keys grow with the prefix and run id.
  const manifestKey =
    outcome.manifestKey ??
    (outcome.runDate ? layout.manifest(outcome.object, outcome.runDate, runId) : undefined);
  if (succeeded && manifestKey) report.manifestKey = manifestKey;
  if (!succeeded) report.error = errorOf(outcome);
  return report;
}

/**
 * The run's outcome over every object: the full report for S3 and the summary the execution ends with
 * (the state machine fails the execution when any object failed).
 */
export function buildSyncSummary(
  runId: string,
  outcomes: ObjectOutcome[],
  layout: Layout,
  now: Date,
): { report: SyncRunReport; summary: SyncSummary } {
  const reports = outcomes.map((outcome) => reportOf(outcome, runId, layout));
  const failures = reports
    .filter((report) => report.status === "failed")
    .map((report) => ({ object: report.object, error: report.error ?? "failed" }));
  const succeeded = reports.length - failures.length;
  const records = reports.reduce((sum, report) => sum + report.records, 0);
  const deletes = reports.reduce((sum, report) => sum + report.deletes, 0);
  const reconciledDeletes = reports.reduce((sum, report) => sum + (report.reconciled?.deletes ?? 0), 0);
  const refetched = reports.reduce((sum, report) => sum + (report.reconciled?.refetched ?? 0), 0);
  const apiCalls = reports.reduce((sum, report) => sum + report.apiCalls, 0);
  const message =
    failures.length === 0
      ? `${succeeded} objects synced, ${records} records${deletes > 0 ? `, ${deletes} deletes from the delete log` : ""}${reconciledDeletes > 0 ? `, ${reconciledDeletes} deletes found by Id reconciliation` : ""}${refetched > 0 ? `, ${refetched} rows fetched again` : ""}.`
      : `${failures.length} of ${reports.length} objects failed: ${failures
          .map((failure) => `${failure.object} (${failure.error})`)
          .join("; ")
          .slice(0, MAX_MESSAGE_CHARS)}`;
  const counts = {
    objects: reports.length,
    succeeded,
    failed: failures.length,
    records,
    deletes,
    reconciledDeletes,
    refetched,
    apiCalls,
  };
  const summaryKey = layout.runSummary(runId);
  return {
    report: {
      runId,
      finishedAt: now.toISOString(),
      ...counts,
      outcomes: reports,
      manifests: reports.flatMap((report) => (report.manifestKey ? [report.manifestKey] : [])),
    },
    summary: {
      runId,
      ...counts,
      failures: failures.slice(0, MAX_FAILURES_LISTED),
      summaryKey,
      message,
    },
  };
}

/** Where a Distributed Map's ResultWriter put the Map run's manifest (the Map state's output). */
export interface ResultWriterDetails {
  Bucket: string;
  Key: string;
}

/**
 * ResultWriter's manifest (`<Prefix>/<map run id>/manifest.json`): the result files of each status.
 * Each file is a JSON array of child executions, each with `Input` and (succeeded) `Output` as JSON
 * text, or (failed) `Error` and `Cause`.
 */
interface MapRunManifest {
  DestinationBucket: string;
  MapRunArn: string;
  ResultFiles: Partial<Record<"SUCCEEDED" | "FAILED" | "PENDING", Array<{ Key: string; Size: number }>>>;
}

interface ChildExecutionResult {
  Input?: string;
  Output?: string;
  Status?: string;
  Error?: string;
  Cause?: string;
}

async function readJson<T>(store: ObjectStore, key: string): Promise<T> {
  const bytes = await store.get(key);
  if (!bytes) throw new Error(`The sync's Map results are missing: s3://${store.bucket}/${key}.`);
  return JSON.parse(new TextDecoder().decode(bytes)) as T;
}

function objectOf(result: ChildExecutionResult): string | undefined {
  try {
    return (JSON.parse(result.Input ?? "null") as { object?: string } | null)?.object;
  } catch {
    return undefined;
  }
}

/**
 * Every object's outcome from the Distributed Map's results in S3: a succeeded child's output is the
 * outcome; a failed child (its own catch could not record the failure: a full history, an oversized
 * state) is that object's failure, named by its error; an object of the run's plan without a result
 * (the Map run stopped before it) failed too. Nothing is skipped.
 */
export async function readMapOutcomes(
  deps: { store: ObjectStore; layout: Layout },
  runId: string,
  details: ResultWriterDetails,
): Promise<ObjectOutcome[]> {
  if (details.Bucket !== deps.store.bucket) {
    throw new Error(`The sync's Map results are in bucket ${details.Bucket}, not ${deps.store.bucket}.`);
  }
  const manifest = await readJson<MapRunManifest>(deps.store, details.Key);
  const outcomes = new Map<string, ObjectOutcome>();
  for (const status of ["SUCCEEDED", "FAILED", "PENDING"] as const) {
    for (const file of manifest.ResultFiles[status] ?? []) {
      for (const result of await readJson<ChildExecutionResult[]>(deps.store, file.Key)) {
        const object = objectOf(result);
        if (object === undefined) continue;
        if (status === "SUCCEEDED" && result.Output !== undefined) {
          outcomes.set(object, JSON.parse(result.Output) as ObjectOutcome);
        } else {
          const name = result.Error ?? (status === "PENDING" ? "NotRun" : "ChildExecutionFailed");
          outcomes.set(object, {
            object,
            status: "failed",
            error: {
              name,
              message: (
                result.Cause ?? `the object's child execution ended ${result.Status ?? status}`
              ).slice(0, 1000),
            },
          });
        }
      }
    }
  }
  for (const planned of await readPlannedObjects(deps.store, deps.layout, runId)) {
    if (outcomes.has(planned.object)) continue;
    outcomes.set(planned.object, {
      object: planned.object,
      status: "failed",
      error: { name: "NotRun", message: `no result in the Map run ${manifest.MapRunArn}` },
    });
  }
  return [...outcomes.values()];
}

export interface SummarizeDeps {
  store: ObjectStore;
  layout: Layout;
  now?: () => number;
}

/** Failed objects whose messages are read at once. */
const READS_AT_ONCE = 16;

/**
 * The summary step: each failure's message from the run's folder (where abort wrote it), the full
 * report to `runs/<runId>/summary.json`, the summary as the answer.
 */
export async function summarizeSync(
  deps: SummarizeDeps,
  runId: string,
  outcomes: ObjectOutcome[],
): Promise<SyncSummary> {
  const resolved = [...outcomes];
  const pending = resolved
    .map((outcome, index) => ({ outcome, index }))
    .filter(({ outcome }) => outcome.status !== "succeeded" && !outcome.error);
  for (let start = 0; start < pending.length; start += READS_AT_ONCE) {
    await Promise.all(
      pending.slice(start, start + READS_AT_ONCE).map(async ({ outcome, index }) => {
        const bytes = await deps.store.get(deps.layout.runError(runId, outcome.object));
        const recorded = bytes
          ? (JSON.parse(new TextDecoder().decode(bytes)) as { error?: { name?: string; message?: string } })
              .error
          : undefined;
        resolved[index] = {
          ...outcome,
          error: {
            name: String(recorded?.name ?? outcome.errorName ?? "Failed"),
            message: String(
              recorded?.message ??
                "no message recorded (recording the failure failed too): see the execution's history",
            ),
          },
        };
      }),
    );
  }
  const now = new Date((deps.now ?? Date.now)());
  const { report, summary } = buildSyncSummary(runId, resolved, deps.layout, now);
  await deps.store.put(summary.summaryKey, `${JSON.stringify(report, null, 2)}\n`, {
    contentType: "application/json",
  });
  return summary;
}
