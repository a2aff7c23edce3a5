/**
 * One sync through the local sync state machine, reported per object from what the handlers returned:
 * records, parts, bytes, API calls, manifest keys, cursors and failures.
 */
import { randomBytes } from "node:crypto";
import type { SyncMode } from "../../functions/core/catalog";
import { readPlannedObjects } from "../../functions/core/discover";
import {
  type ExtractState,
  type ExtractSummary,
  type PartialReport,
  partialReport,
  type ReconciledReport,
  reconciledReport,
} from "../../functions/core/extract/extract-state";
import type { SyncSummary } from "../../functions/core/extract/sync-summary";
import type { MergeState } from "../../functions/core/lake/merge";
import type { DiscoverOutput } from "../../functions/discover/handler";
import type { LocalExecution } from "../stepfunctions/state-machine";
import { causeMessage, raiseInputError } from "./execution-errors";
import type { HandlerCall } from "./observed-handlers";
import type { ProgressStep } from "./progress";
import { failureNote, type Runs } from "./runs";

export interface SyncRequest {
  objects?: string[];
  mode?: SyncMode;
}

export interface ObjectReport {
  object: string;
  mode: SyncMode;
  status: "succeeded" | "failed";
  records: number;
  parts: number;
  bytes: number;
  apiCalls: number;
  /** Id reconciliation, when the object's run reconciled: deletes found, rows fetched again, API calls. */
  reconciled?: ReconciledReport;
  /** Partial reads, when the object's run made any: formula rows refreshed, fields backfilled, API calls. */
  partial?: PartialReport;
  manifestKey?: string;
  cursor?: string;
  error?: string;
  /** Events in the history of the object's child execution (Step Functions fails one at 25,000). */
  historyEvents?: number;
}

export interface SyncReport {
  runId: string;
  status: "succeeded" | "failed";
  catalogVersion?: number;
  /** The run's summary in the bucket (every object's outcome and manifest), once the run wrote it. */
  summaryKey?: string;
  objects: ObjectReport[];
  /** `apiCalls`: every Salesforce API call of the run, discover's and each object's. */
  totals: {
    objects: number;
    failed: number;
    records: number;
    parts: number;
    bytes: number;
    apiCalls: number;
  };
  manifests: string[];
  /**
   * Each object merged into its current-state table by the run (the state machine's merge after its
   * commit): the watermark it reached and the runs it merged (0: already up to date).
   */
  lake: Array<{ object: string; mergedSeq: number; runs: number }>;
  /** Why the execution failed, when it did. */
  error?: { name: string; message: string };
  /**
   * Execution histories (Step Functions fails one at 25,000 events): the run's own, and its largest
   * object child's (each object's is in `objects`).
   */
  history: { run: number; largestObject?: { object: string; events: number } };
  seconds: number;
}

export function newRunId(kind: string, now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  return `${kind}-${stamp}-${randomBytes(3).toString("hex")}`;
}

function objectReport(
  summary: Partial<ExtractSummary> & { object: string },
  fallbackMode: SyncMode,
): ObjectReport {
  const report: ObjectReport = {
    object: summary.object,
    mode: summary.mode ?? fallbackMode,
    status: summary.status === "succeeded" ? "succeeded" : "failed",
    records: summary.records ?? 0,
    parts: summary.parts ?? 0,
    bytes: summary.bytes ?? 0,
    apiCalls: summary.apiCalls ?? 0,
  };
  const reconciled = reconciledReport(summary.reconciled);
  if (reconciled) report.reconciled = reconciled;
  const partial = partialReport(summary.partial);
  if (partial) report.partial = partial;
  if (summary.manifestKey) report.manifestKey = summary.manifestKey;
  if (summary.cursor) report.cursor = summary.cursor;
  if (summary.error) report.error = `${summary.error.name}: ${summary.error.message}`;
  return report;
}

export interface RunSyncOptions {
  request: SyncRequest;
  runId?: string;
  progress?: ProgressStep;
}

export async function runSync(runs: Runs, options: RunSyncOptions): Promise<SyncReport> {
  const started = Date.now();
  const runId = options.runId ?? newRunId("sync");
  const { progress } = options;
  let discovered: DiscoverOutput | undefined;
  const finished = new Map<string, ExtractSummary>();
  const merged = new Map<string, MergeState>();
  let summaryKey: string | undefined;
  const total = () => (discovered ? discovered.objectCount : 0);
  const show = (object: string | undefined, what: string) => {
    if (!progress || !discovered) return;
    const detail = object ? `${object}: ${what}` : what;
    progress.update(detail, { done: finished.size, total: total() });
  };

  const observe = (call: HandlerCall): void => {
    if (call.error !== undefined) return;
    if (call.fn === "lake") {
      const state = call.result as MergeState;
      if (state.status === "done") merged.set(state.object, state);
      else show(state.object, "merging into the lake");
      return;
    }
    if (call.fn === "discover") {
      discovered = call.result as DiscoverOutput;
      show(undefined, `catalog v${discovered.catalogVersion}, ${discovered.objectCount} objects`);
      return;
    }
    const action = (call.event as { action?: string }).action;
    if (action === "summarize") {
      summaryKey = (call.result as SyncSummary).summaryKey;
      return;
    }
    if (action === "commit" || action === "abort") {
      const summary = call.result as ExtractSummary;
      finished.set(summary.object, summary);
      show(summary.object, summary.status === "succeeded" ? `${summary.records} records` : "failed");
    } else if (action === "start" || action === "poll" || action === "fetch") {
      const state = call.result as ExtractState;
      const what =
        state.phase !== undefined || state.status === "comparing"
          ? "reconciling Ids"
          : state.status === "polling"
            ? "waiting for the Bulk job"
            : `${state.records} records`;
      show(state.object, what);
    }
  };

  const unwatch = runs.watch({
    call: observe,
    event: (event, execution) => {
      // The run's own events and its objects' child executions' (named `<runId>/<child>`).
      const ours = execution === runId || execution.startsWith(`${runId}/`);
      const note = ours ? failureNote(event) : undefined;
      if (note === undefined || !progress) return;
      if (discovered) show(undefined, note);
      else progress.update(note);
    },
  });
  let execution: LocalExecution;
  try {
    execution = await runs.runner.runSync({ ...options.request }, { name: runId });
  } finally {
    unwatch();
  }
  if (execution.status === "FAILED" && discovered === undefined) raiseInputError(execution);

  // The run's plan is in the bucket (the Distributed Map read it there).
  const planned = discovered ? await readPlannedObjects(runs.runtime.store, runs.runtime.layout, runId) : [];
  const modeOf = new Map(planned.map((task) => [task.object, task.mode]));
  const objects: ObjectReport[] = [];
  for (const task of planned) {
    const summary = finished.get(task.object);
    objects.push(
      summary
        ? objectReport(summary, task.mode)
        : objectReport({ object: task.object, status: "failed" }, task.mode),
    );
  }
  for (const failure of discovered?.failed ?? []) {
    objects.push(objectReport(failure, modeOf.get(failure.object) ?? "full_refresh"));
  }
  // Each object's child execution of the Distributed Map, and the events of its history.
  const historyOf = new Map<string, number>();
  for (const child of execution.children) {
    const object = (child.input as { object?: string } | null)?.object;
    if (object !== undefined) historyOf.set(object, child.historyEvents);
  }
  for (const object of objects) {
    const events = historyOf.get(object.object);
    if (events !== undefined) object.historyEvents = events;
  }
  objects.sort((a, b) => a.object.localeCompare(b.object));
  const largest = objects.reduce<ObjectReport | undefined>(
    (top, object) => ((object.historyEvents ?? 0) > (top?.historyEvents ?? 0) ? object : top),
    undefined,
  );
  const lake = [...merged.values()]
    .sort((a, b) => a.object.localeCompare(b.object))
    .map((state) => ({ object: state.object, mergedSeq: state.mergedSeq, runs: state.runs }));
  const failedCount = objects.filter((object) => object.status === "failed").length;
  const sum = (pick: (object: ObjectReport) => number) =>
    objects.reduce((acc, object) => acc + pick(object), 0);
  const report: SyncReport = {
    runId,
    status: execution.status === "SUCCEEDED" && failedCount === 0 ? "succeeded" : "failed",
    objects,
    totals: {
      objects: objects.length,
      failed: failedCount,
      records: sum((object) => (object.status === "succeeded" ? object.records : 0)),
      parts: sum((object) => object.parts),
      bytes: sum((object) => object.bytes),
      // Each action counts its own calls (discover's, then every object's).
      apiCalls: (discovered?.apiCalls ?? 0) + sum((object) => object.apiCalls),
    },
    manifests: objects.flatMap((object) => (object.manifestKey ? [object.manifestKey] : [])),
    lake,
    history: {
      run: execution.historyEvents,
      ...(largest?.historyEvents === undefined
        ? {}
        : { largestObject: { object: largest.object, events: largest.historyEvents } }),
    },
    seconds: (Date.now() - started) / 1000,
  };
  if (discovered) report.catalogVersion = discovered.catalogVersion;
  if (summaryKey) report.summaryKey = summaryKey;
  if (execution.status === "FAILED") {
    report.error = { name: execution.error ?? "Error", message: causeMessage(execution.cause) };
  }
  return report;
}
