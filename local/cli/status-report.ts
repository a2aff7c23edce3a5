/**
 * `saddledata status`: what the state table and the catalog say about a connection — each object's
 * cursor, last run, status, last error and lease, and the most recent load claims.
 */
import { readCatalogIndex } from "../../functions/core/catalog-store";
import type { FileClaim } from "../../functions/core/ports";
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
  lastManifestKey?: string;
  lease?: { holder: string; expiresAt: string; active: boolean };
  /** The lake: runs committed, runs merged into the current-state table, and why the last merge failed. */
  lake?: { commits: number; merged: number; lastMergedAt?: string; lastMergeError?: string };
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
  const [index, states, loads] = await Promise.all([
    readCatalogIndex(runtime.store, runtime.layout),
    runtime.state.list(connection),
    listLoadClaims(env.clients.dynamodb, runtime.config.table, options.loads),
  ]);
  const objects = states.map((state) => {
    const status: ObjectStatus = { object: state.object };
    if (state.cursor) status.cursor = state.cursor;
    if (state.cursorField) status.cursorField = state.cursorField;
    if (state.lastRunId) status.lastRunId = state.lastRunId;
    if (state.lastStatus) status.lastStatus = state.lastStatus;
    if (state.lastError) status.lastError = state.lastError;
    if (state.lastCommittedAt) status.lastCommittedAt = state.lastCommittedAt;
    if (state.lastManifestKey) status.lastManifestKey = state.lastManifestKey;
    if (state.leaseHolder && state.leaseExpiresAt !== undefined) {
      status.lease = {
        holder: state.leaseHolder,
        expiresAt: new Date(state.leaseExpiresAt).toISOString(),
        active: state.leaseExpiresAt > now,
      };
    }
    if (state.commitSeq !== undefined) {
      status.lake = { commits: state.commitSeq, merged: state.mergedSeq ?? 0 };
      if (state.lastMergedAt) status.lake.lastMergedAt = state.lastMergedAt;
      if (state.lastMergeError) status.lake.lastMergeError = state.lastMergeError;
    }
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

function leaseText(lease: ObjectStatus["lease"]): string {
  if (!lease) return "-";
  return lease.active ? `held by ${lease.holder} until ${lease.expiresAt}` : `expired (${lease.holder})`;
}

/** How far the current-state table is: "merged 3/3", or how many committed runs it lacks. */
function lakeText(lake: ObjectStatus["lake"]): string {
  if (!lake) return "-";
  if (lake.merged >= lake.commits) return `merged ${lake.merged}/${lake.commits}`;
  return `behind: merged ${lake.merged}/${lake.commits}`;
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
