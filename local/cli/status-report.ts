/**
 * `saddledata status`: what the state table and the catalog say about a connection — each object's
 * cursor, last commit, lag, the records of its last run, last run, status, last error and lease, how far
 * its lake tables are merged, the next scheduled run, the loads in flight and the most recent load claims.
 * Every read is targeted: Queries of the state table's `list` index (never a Scan), the catalog index and
 * each object's last manifest by key.
 */
import { DynamoStateStore } from "../../functions/aws/dynamo-state-store";
import { LOAD_EXECUTION_TIMEOUT_HOURS } from "../../functions/contract";
import { readCatalogIndex } from "../../functions/core/catalog-store";
import type { Manifest } from "../../functions/core/extract/manifest";
import type {
  FileClaim,
  LakeTableState,
  LakeWatermark,
  ObjectStore,
  StreamState,
} from "../../functions/core/ports";
import { lagSeconds } from "../../functions/core/run-metrics";
import { ConfigurationError } from "../../functions/errors";
import type { LocalEnvironment } from "../environment";
import { type NextRun, nextScheduledRun } from "./schedule";
import { count, table } from "./text-format";

export interface ObjectStatus {
  object: string;
  cursor?: string;
  cursorField?: string;
  lastRunId?: string;
  lastStatus?: string;
  lastError?: string;
  lastCommittedAt?: string;
  /** When the object's Ids were last reconciled with the org (its Id snapshot's time). */
  lastReconciledAt?: string;
  lastManifestKey?: string;
  /**
   * Seconds from the data's age to now: the committed cursor, or for a stream without one (full
   * refresh) its last run's window end or start, as the `LagSeconds` metric counts. Now is this
   * machine's clock, not the org's.
   */
  lagSeconds?: number;
  /** Records the last committed run landed (its manifest's total). */
  lastRunRecords?: number;
  /** The connection's next scheduled run, when a schedule is known. */
  nextRunAt?: string;
  lease?: { holder: string; expiresAt: string; active: boolean };
  /**
   * The lake: runs committed, then the current-state table this machine's engine keeps (DuckDB, the one
   * `saddledata query` reads): runs merged into it and why its last merge failed; `others`: the other
   * engines' tables of the stream with any progress (Athena's, in a deployed connection's state table).
   */
  lake?: LakeTableStatus & { commits: number; others?: Array<LakeTableStatus & { engine: LakeWatermark }> };
}

export interface LakeTableStatus {
  merged: number;
  lastMergedAt?: string;
  lastMergeError?: string;
}

export interface StatusReport {
  connection: string;
  storage: string;
  catalog?: { version: number; discoveredAt: string; objects: number };
  /** The connection's schedule and when it fires next (`exact: false`: counted from the last run's start). */
  schedule?: { expression: string; timeZone: string; next?: NextRun };
  objects: ObjectStatus[];
  /**
   * Files whose load has not recorded an outcome, newest first; `stale`: claimed longer ago than a load
   * execution may run, so its run died without finishing (`load --key … --retry` starts it again).
   */
  loadsInFlight: Array<FileClaim & { stale: boolean }>;
  loads: FileClaim[];
}

export interface StatusOptions {
  loads: number;
  now?: number;
  /** An EventBridge Scheduler expression and its time zone (from the deployment config or --schedule). */
  schedule?: { expression: string; timeZone?: string } | undefined;
}

/** Manifests read at once. */
const MANIFEST_READS = 8;

export async function statusReport(
  env: LocalEnvironment,
  storage: string,
  options: StatusOptions,
): Promise<StatusReport> {
  const { runtime } = env;
  const connection = runtime.config.connection;
  const now = options.now ?? Date.now();
  const state = new DynamoStateStore(env.clients.dynamodb, runtime.config.table);
  const [catalogIndex, states, inFlight, loads, engine] = await Promise.all([
    readCatalogIndex(runtime.store, runtime.layout),
    state.list(connection),
    state.listFiles({ loading: true }),
    state.listFiles({ limit: options.loads }),
    runtime.lake(),
  ]);
  // Connections may share a bucket prefix on one machine: another connection's catalog is not this one's.
  const index = catalogIndex?.connection === connection ? catalogIndex : undefined;
  if (states.length === 0 && index === undefined && loads.length === 0) {
    const where = `s3://${runtime.config.bucket}/${runtime.layout.prefix}`;
    throw new ConfigurationError(
      `Connection ${connection} has no objects in state table ${runtime.config.table}, no catalog under ${where} and no loads: check --connection (and --prefix), or run \`saddledata sync\` first.`,
    );
  }
  const manifests = await lastManifests(runtime.store, states);
  const lastRunAt = Math.max(
    ...[...manifests.values()].map((manifest) => Date.parse(manifest.startedAt)).filter(Number.isFinite),
  );
  const next =
    options.schedule === undefined
      ? undefined
      : nextScheduledRun(options.schedule.expression, {
          now,
          timeZone: options.schedule.timeZone,
          lastRunAt: Number.isFinite(lastRunAt) ? lastRunAt : undefined,
        });
  const objects = states.map((state) => {
    const status: ObjectStatus = { object: state.object };
    if (state.cursor) status.cursor = state.cursor;
    if (state.cursorField) status.cursorField = state.cursorField;
    if (state.lastRunId) status.lastRunId = state.lastRunId;
    if (state.lastStatus) status.lastStatus = state.lastStatus;
    if (state.lastError) status.lastError = state.lastError;
    if (state.lastCommittedAt) status.lastCommittedAt = state.lastCommittedAt;
    if (state.lastReconciledAt) status.lastReconciledAt = state.lastReconciledAt;
    if (state.lastManifestKey) status.lastManifestKey = state.lastManifestKey;
    const manifest = state.lastManifestKey === undefined ? undefined : manifests.get(state.lastManifestKey);
    const lag = lagSeconds(now, state.cursor ?? manifest?.window.end ?? manifest?.startedAt);
    if (lag !== undefined) status.lagSeconds = lag;
    if (manifest !== undefined) status.lastRunRecords = manifest.totals.records;
    if (next !== undefined) status.nextRunAt = next.at;
    if (state.leaseHolder && state.leaseExpiresAt !== undefined) {
      status.lease = {
        holder: state.leaseHolder,
        expiresAt: new Date(state.leaseExpiresAt).toISOString(),
        active: state.leaseExpiresAt > now,
      };
    }
    if (state.commitSeq !== undefined) status.lake = lakeStatus(state, engine.watermark);
    return status;
  });
  const staleBefore = now - LOAD_EXECUTION_TIMEOUT_HOURS * 3_600_000;
  const loadsInFlight = inFlight.map((claim) => ({
    ...claim,
    stale: Date.parse(claim.claimedAt) < staleBefore,
  }));
  const report: StatusReport = { connection, storage, objects, loadsInFlight, loads };
  if (options.schedule !== undefined) {
    report.schedule = {
      expression: options.schedule.expression,
      timeZone: options.schedule.timeZone ?? "UTC",
      ...(next === undefined ? {} : { next }),
    };
  }
  if (index) {
    report.catalog = {
      version: index.version,
      discoveredAt: index.discoveredAt,
      objects: Object.keys(index.streams).length,
    };
  }
  return report;
}

/** Each stream's last manifest, by key: a GetObject each, a few at a time; a missing one is left out. */
async function lastManifests(store: ObjectStore, states: StreamState[]): Promise<Map<string, Manifest>> {
  const keys = states.flatMap((state) =>
    state.lastManifestKey === undefined ? [] : [state.lastManifestKey],
  );
  const manifests = new Map<string, Manifest>();
  const decoder = new TextDecoder();
  let next = 0;
  const reader = async () => {
    while (next < keys.length) {
      const key = keys[next++] as string;
      const bytes = await store.get(key);
      if (bytes !== undefined) manifests.set(key, JSON.parse(decoder.decode(bytes)) as Manifest);
    }
  };
  await Promise.all(Array.from({ length: Math.min(MANIFEST_READS, keys.length) }, reader));
  return manifests;
}

/** "45s", "12m 5s", "3h 20m", "2d 4h". */
export function lagText(seconds: number | undefined): string {
  if (seconds === undefined) return "-";
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${seconds % 60}s`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m`;
  return `${Math.floor(seconds / 86_400)}d ${Math.floor((seconds % 86_400) / 3600)}h`;
}

function tableStatus(table: LakeTableState | undefined): LakeTableStatus {
  const status: LakeTableStatus = { merged: table?.mergedSeq ?? 0 };
  if (table?.lastMergedAt) status.lastMergedAt = table.lastMergedAt;
  if (table?.lastMergeError) status.lastMergeError = table.lastMergeError;
  return status;
}

function lakeStatus(state: StreamState, local: LakeWatermark): ObjectStatus["lake"] {
  const lake: ObjectStatus["lake"] = { commits: state.commitSeq ?? 0, ...tableStatus(state.lake?.[local]) };
  const others = Object.entries(state.lake ?? {})
    .filter(([engine]) => engine !== local)
    .map(([engine, table]) => ({ engine: engine as LakeWatermark, ...tableStatus(table) }));
  if (others.length > 0) lake.others = others;
  return lake;
}

function leaseText(lease: ObjectStatus["lease"]): string {
  if (!lease) return "-";
  return lease.active ? `held by ${lease.holder} until ${lease.expiresAt}` : `expired (${lease.holder})`;
}

/**
 * How far the local current-state table is: "merged 3/3", or "behind: merged 1/3"; then each other
 * engine's table: "merged 1/3; athena 3/3".
 */
function lakeText(lake: ObjectStatus["lake"]): string {
  if (!lake) return "-";
  const local =
    lake.merged >= lake.commits
      ? `merged ${lake.merged}/${lake.commits}`
      : `behind: merged ${lake.merged}/${lake.commits}`;
  const others = (lake.others ?? []).map((other) => `; ${other.engine} ${other.merged}/${lake.commits}`);
  return `${local}${others.join("")}`;
}

export function statusText(report: StatusReport): string {
  const lines = [`Connection ${report.connection} · ${report.storage}`];
  lines.push(
    report.catalog
      ? `Catalog v${report.catalog.version}: ${count(report.catalog.objects)} objects, discovered ${report.catalog.discoveredAt}`
      : "No catalog yet: run `saddledata discover` or `saddledata sync`.",
  );
  if (report.schedule) {
    const { expression, timeZone, next } = report.schedule;
    const when =
      next === undefined ? "no next run known" : `next run ${next.exact ? "" : "about "}${next.at}`;
    lines.push(`Schedule ${expression} (${timeZone}): ${when}`);
  }
  if (report.objects.length === 0) {
    lines.push("No object has been synced yet.");
  } else {
    lines.push(
      "",
      table(
        [
          "OBJECT",
          "STATUS",
          "CURSOR",
          "LAST RUN",
          "LEASE",
          "LAST COMMIT",
          "LAG",
          "RECORDS",
          "LAKE",
          "LAST ERROR",
        ],
        report.objects.map((object) => [
          object.object,
          object.lastStatus ?? "-",
          object.cursor ? `${object.cursor}${object.cursorField ? ` (${object.cursorField})` : ""}` : "-",
          object.lastRunId ?? "-",
          leaseText(object.lease),
          object.lastCommittedAt ?? "-",
          lagText(object.lagSeconds),
          object.lastRunRecords === undefined ? "-" : count(object.lastRunRecords),
          lakeText(object.lake),
          (object.lastError ?? object.lake?.lastMergeError)?.replace(/\s+/g, " ").slice(0, 100) ?? "-",
        ]),
      ),
    );
  }
  lines.push("");
  if (report.loadsInFlight.length === 0) {
    lines.push("No load in flight.");
  } else {
    lines.push(
      "Loads in flight:",
      table(
        ["CLAIMED", "FILE", "RUN", ""],
        report.loadsInFlight.map((claim) => [
          claim.claimedAt,
          `s3://${claim.bucket}/${claim.key}`,
          claim.runId,
          claim.stale
            ? `stale: no outcome after ${LOAD_EXECUTION_TIMEOUT_HOURS} h, retry with load --key`
            : "",
        ]),
      ),
    );
  }
  lines.push("");
  if (report.loads.length === 0) {
    lines.push("No load claims yet.");
  } else {
    lines.push(
      "Recent loads:",
      table(
        ["CLAIMED", "STATUS", "FILE", "RUN", "SUMMARY"],
        report.loads.map((claim) => [
          claim.claimedAt,
          claim.status,
          `s3://${claim.bucket}/${claim.key}`,
          claim.runId,
          claim.summaryKey ?? "-",
        ]),
      ),
    );
  }
  return `${lines.join("\n")}\n`;
}
