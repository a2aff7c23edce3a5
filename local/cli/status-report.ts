/**
 * `saddledata status`: what the state table and the catalog say about a connection — each object's
 * cursor, last run, status, last error and lease, how far its lake tables are merged, and the most
 * recent load claims.
 */
import { readCatalogIndex } from "../../functions/core/catalog-store";
import type { FileClaim, LakeTableState, LakeWatermark, StreamState } from "../../functions/core/ports";
import type { LocalEnvironment } from "../environment";
import { listLoadClaims } from "./load-claims";
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
  objects: ObjectStatus[];
  loads: FileClaim[];
}

export async function statusReport(
  env: LocalEnvironment,
  storage: string,
  options: { loads: number; now?: number },
): Promise<StatusReport> {
  const { runtime } = env;
  const connection = runtime.config.connection;
  const now = options.now ?? Date.now();
  const [index, states, loads, engine] = await Promise.all([
    readCatalogIndex(runtime.store, runtime.layout),
    runtime.state.list(connection),
    listLoadClaims(env.clients.dynamodb, runtime.config.table, options.loads),
    runtime.lake(),
  ]);
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
  const report: StatusReport = { connection, storage, objects, loads };
  if (index) {
    report.catalog = {
      version: index.version,
      discoveredAt: index.discoveredAt,
      objects: Object.keys(index.streams).length,
    };
  }
  return report;
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
  if (report.objects.length === 0) {
    lines.push("No object has been synced yet.");
  } else {
    lines.push(
      "",
      table(
        ["OBJECT", "STATUS", "CURSOR", "LAST RUN", "LEASE", "LAKE", "LAST ERROR"],
        report.objects.map((object) => [
          object.object,
          object.lastStatus ?? "-",
          object.cursor ? `${object.cursor}${object.cursorField ? ` (${object.cursorField})` : ""}` : "-",
          object.lastRunId ?? "-",
          leaseText(object.lease),
          lakeText(object.lake),
          (object.lastError ?? object.lake?.lastMergeError)?.replace(/\s+/g, " ").slice(0, 100) ?? "-",
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
