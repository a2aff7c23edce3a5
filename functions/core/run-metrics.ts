/**
 * The figures the connector publishes through its `Metrics` port, computed where they already exist:
 * an object's commit and failure (extract), a file's finish (load), and each reading of the org's limits.
 * The names are `METRICS` in functions/contract.ts, which the stack's dashboard and alarms read.
 */
import { METRICS } from "../contract";
import type { Limits } from "../salesforce/limits";
import type { LoadCounts } from "./load/load-state";
import type { MetricFigure, Metrics } from "./ports";

/** Seconds from `asOf` (ISO-8601) to the org's now, never negative; undefined without a time. */
export function lagSeconds(orgNowMs: number, asOf: string | undefined): number | undefined {
  if (asOf === undefined) return undefined;
  const at = Date.parse(asOf);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.round((orgNowMs - at) / 1000));
}

/** Seconds between two ISO-8601 times, or undefined. */
export function secondsBetween(from: string | undefined, to: string | undefined): number | undefined {
  if (from === undefined || to === undefined) return undefined;
  const seconds = (Date.parse(to) - Date.parse(from)) / 1000;
  return Number.isFinite(seconds) ? Math.max(0, seconds) : undefined;
}

const figure = (name: string, unit: MetricFigure["unit"], value: number | undefined) =>
  value === undefined ? [] : [{ name, unit, value }];

/** One object's committed run. */
export function publishExtract(
  metrics: Metrics | undefined,
  object: string,
  run: {
    records: number;
    bytes: number;
    apiCalls: number;
    deletes: number;
    durationSeconds: number | undefined;
    lagSeconds: number | undefined;
  },
): void {
  metrics?.publish(
    [
      ...figure(METRICS.records, "Count", run.records),
      ...figure(METRICS.bytes, "Bytes", run.bytes),
      ...figure(METRICS.apiCalls, "Count", run.apiCalls),
      ...figure(METRICS.deletes, "Count", run.deletes),
      ...figure(METRICS.duration, "Seconds", run.durationSeconds),
      ...figure(METRICS.lag, "Seconds", run.lagSeconds),
    ],
    { object },
  );
}

/** One object's failed run: the failure, and its lag (the cursor stayed, the org's clock did not). */
export function publishExtractFailure(
  metrics: Metrics | undefined,
  object: string,
  run: { apiCalls: number; lagSeconds: number | undefined },
): void {
  metrics?.publish(
    [
      ...figure(METRICS.extractFailures, "Count", 1),
      ...figure(METRICS.apiCalls, "Count", run.apiCalls),
      ...figure(METRICS.lag, "Seconds", run.lagSeconds),
    ],
    { object },
  );
}

/** One inbound file's load, finished: its rows by outcome. */
export function publishLoad(
  metrics: Metrics | undefined,
  object: string,
  run: { counts: LoadCounts; apiCalls: number; durationSeconds: number | undefined },
): void {
  metrics?.publish(
    [
      ...figure(METRICS.loadSucceeded, "Count", run.counts.succeeded),
      ...figure(METRICS.loadFailed, "Count", run.counts.failed),
      ...figure(METRICS.loadUnprocessed, "Count", run.counts.unprocessed),
      ...figure(METRICS.loadRejected, "Count", run.counts.rejected),
      ...figure(METRICS.loadUnchanged, "Count", run.counts.unchanged),
      ...figure(METRICS.loadApiCalls, "Count", run.apiCalls),
      ...figure(METRICS.loadDuration, "Seconds", run.durationSeconds),
    ],
    { object },
  );
}

/** An observer for `checkLimitReserve` / `checkApiReserve`: the org's daily allowances as gauges. */
export function limitsObserver(metrics: Metrics | undefined): ((limits: Limits) => void) | undefined {
  if (metrics === undefined) return undefined;
  return (limits) => {
    const api = limits.DailyApiRequests;
    metrics.publish([
      ...figure(METRICS.apiRequestsRemaining, "Count", api?.Remaining),
      ...figure(METRICS.apiRequestsMax, "Count", api?.Max),
      ...figure(METRICS.bulkQueryJobsRemaining, "Count", limits.DailyBulkV2QueryJobs?.Remaining),
      ...figure(METRICS.bulkBatchesRemaining, "Count", limits.DailyBulkApiBatches?.Remaining),
    ]);
  };
}
