/**
 * Id reconciliation, the lake side: a reconciling run's Id snapshot is in (extract's status
 * `comparing`); compare it with the stream's current-state table in the engine and write what was found
 * (`runs/<runId>/reconcile/<Object>/diff.json`), for the run to land before its commit (see
 * core/extract/reconcile.ts). The table must hold every committed run: the run holds the stream's lease,
 * so nothing commits meanwhile, and a table merged through the last commit stays so. A table that lags
 * (a run committed but its merge never ran, a merge still running) is first caught up here, by the same
 * merge step, waited for in place for at most CATCH_UP_MS. One that still lags (its merge failed, or is
 * slower than that) is not compared: the run commits without reconciling, says why, and the stream keeps
 * the reconciliation owed (`reconcilePending`), so the next run reconciles whatever its schedule says.
 */
import { ConfigurationError, describeError } from "../../errors";
import { readStream } from "../catalog-store";
import type { ExtractState } from "../extract/extract-state";
import type { ReconcileDiff } from "../extract/reconcile";
import { checkLakeMerge, type LakeDeps, startLakeMerge } from "./merge";
import { buildReconcileSql } from "./reconcile-sql";

/** Compare the run's Id snapshot with the table; answer the run `fetching`, to land what was found. */
export async function compareReconcile(
  deps: LakeDeps,
  state: ExtractState,
  extractLeaseMs: number,
): Promise<ExtractState> {
  const now = deps.now ?? Date.now;
  const key = { connection: deps.connection, object: state.object };
  const reconcile = state.reconcile;
  if (reconcile?.snapshotAt === undefined) {
    throw new ConfigurationError(`${state.object}: nothing to compare, the run took no Id snapshot.`, {
      object: state.object,
    });
  }
  // The run's lease covers the comparison too (Athena may take a while).
  await deps.state.renewLease(key, state.runId, extractLeaseMs, now());
  let item = await deps.state.get(key);
  const committed = item?.commitSeq ?? 0;
  if ((item?.lake?.[deps.engine.watermark]?.mergedSeq ?? 0) < committed) {
    await catchUp(deps, state, extractLeaseMs);
    item = await deps.state.get(key);
  }
  const merged = item?.lake?.[deps.engine.watermark]?.mergedSeq ?? 0;
  let diff: ReconcileDiff;
  if (merged !== committed || committed === 0) {
    diff = {
      compared: false,
      warning: `${state.object}: Ids were not reconciled, since the lake's table is merged through commit ${merged} of ${committed}; the next run reconciles them.`,
      deletes: [],
      missing: [],
    };
  } else {
    const stream = await readStream(deps.store, state.catalogKey);
    const keys = Array.from({ length: reconcile.idParts ?? 0 }, (_, index) =>
      deps.layout.reconcileIdsPart(state.runId, state.object, index),
    );
    const sql = buildReconcileSql(stream, {
      snapshotAt: reconcile.snapshotAt,
      windowStart: state.window.start,
    });
    const started = now();
    let rows: Array<{ kind: string; id: string }>;
    try {
      rows = await deps.engine.compareIds(
        stream,
        {
          runId: state.runId,
          mergedSeq: merged,
          folder: deps.layout.reconcileIdsFolder(state.runId, state.object),
          keys,
        },
        sql,
      );
    } catch (error) {
      deps.log.warn("lake: Id comparison failed", { object: state.object, error: describeError(error) });
      throw error;
    }
    diff = {
      compared: true,
      deletes: rows.filter((row) => row.kind === "delete").map((row) => row.id),
      missing: rows.filter((row) => row.kind === "missing").map((row) => row.id),
    };
    deps.log.info("lake: Ids compared", {
      object: state.object,
      mergedSeq: merged,
      ids: reconcile.ids,
      deletes: diff.deletes.length,
      missing: diff.missing.length,
      ms: now() - started,
    });
  }
  await deps.store.put(deps.layout.reconcileDiff(state.runId, state.object), JSON.stringify(diff), {
    contentType: "application/json",
  });
  return { ...state, status: "fetching", phase: "land" };
}

/** How long the comparison waits for a catch-up merge (Athena runs one of a run's rows in seconds). */
export const CATCH_UP_MS = 5 * 60_000;

/**
 * Merge the committed runs the table lacks, waiting in place (DuckDB's merge is done when it starts).
 * A merge that fails or outlasts CATCH_UP_MS is logged and left: the comparison then says the table lags.
 */
async function catchUp(deps: LakeDeps, state: ExtractState, extractLeaseMs: number): Promise<void> {
  const now = deps.now ?? Date.now;
  const deadline = now() + CATCH_UP_MS;
  const key = { connection: deps.connection, object: state.object };
  try {
    let merge = await startLakeMerge(deps, {
      runId: state.runId,
      object: state.object,
      catalogKey: state.catalogKey,
    });
    while (merge.status === "running" && now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, merge.waitSeconds * 1000));
      await deps.state.renewLease(key, state.runId, extractLeaseMs, now());
      merge = await checkLakeMerge(deps, merge);
    }
    deps.log.info("lake: caught up before comparing Ids", {
      object: state.object,
      status: merge.status,
      runs: merge.runs,
    });
  } catch (error) {
    deps.log.warn("lake: could not catch up before comparing Ids", {
      object: state.object,
      error: describeError(error),
    });
  }
}
