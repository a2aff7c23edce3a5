// Commit: check nothing was lost, write the manifest, advance the cursor (and the reconciliation's date).
import { ConfigurationError, LeaseConflictError, ReconciliationError } from "../../errors";
import { readStream } from "../catalog-store";
import { writeCommitPointer } from "../lake/commit-index";
import type { StreamState } from "../ports";
import { lagSeconds, publishExtract, secondsBetween } from "../run-metrics";
import { dropQueryJob, type ExtractDeps, iso, partColumnsOf, streamKey } from "./extract-deps";
import type { ExtractState, ExtractSummary } from "./extract-state";
import { fetchDeletes, readsDeletes } from "./fetch-deletes";
import { buildManifest } from "./manifest";
import { committedPartials, formulaRefreshedAt, partialCounts } from "./partial";

/**
 * Commit: check nothing was lost, write the manifest and the run's pointer in the commit index, then
 * advance the cursor to the window end with a write that requires this run's lease and takes the
 * stream's next commit number. The cursor never moves past data that is not in S3, and the lake's
 * merge (which follows the commit index) never waits on it.
 */
export async function commitExtract(deps: ExtractDeps, ready: ExtractState): Promise<ExtractSummary> {
  const now = deps.now ?? Date.now;
  if (ready.status !== "ready") {
    throw new ConfigurationError(`${ready.object} is not ready to commit (status ${ready.status}).`);
  }
  // The query is in: read the delete log for the same window (one call, usually) into a part of its
  // own. A commit retried after this wrote its part writes the same key again.
  let state = ready;
  // Runs read it when their query is in (reconcile.ts, afterQuery); a continuation from before reads it
  // here, and can only warn where the log cannot answer.
  if (readsDeletes(state)) {
    const stream = await readStream(deps.store, state.catalogKey);
    state = await fetchDeletes(deps, state, stream, partColumnsOf(stream, deps.hashKey));
    state = { ...state, apiCalls: state.apiCalls + (state.deletes?.apiCalls ?? 0) };
    if (state.deletes?.lost) {
      state.warnings = [
        ...(state.warnings ?? []),
        `${state.object}: ${state.deletes.lost}; some hard deletes may be missing until the next Id reconciliation.`,
      ];
    }
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
  const manifest = buildManifest(deps, state, cursorAfter, committedAt);
  // Delete the finished job before the manifest so its call is counted in it.
  const before = deps.salesforce.totalCalls;
  if (state.jobId) await dropQueryJob(deps, state.jobId, state.object);
  manifest.apiCalls += deps.salesforce.totalCalls - before;
  await deps.store.put(manifestKey, `${JSON.stringify(manifest, null, 2)}\n`, {
    contentType: "application/json",
  });
  const key = streamKey(deps, state.object);
  // A retried commit whose first attempt went through (its answer lost) finds the lease released and
  // the run recorded: that is success, not a conflict, and no second pointer is written.
  const committed = (current: StreamState | undefined) =>
    current?.lastRunId === state.runId &&
    current.lastManifestKey === manifestKey &&
    current.lastStatus === "succeeded";
  const stream = await deps.state.get(key);
  let commitSeq = stream?.commitSeq;
  // The reconciliation's schedule counts from here: a run that compared and landed everything it found,
  // or a stream's first read (everything up to its window end: nothing to reconcile yet).
  const reconciledAt =
    state.reconcile !== undefined
      ? state.reconcile.deletes !== undefined && state.reconcile.warning === undefined
        ? state.reconcile.snapshotAt
        : undefined
      : state.cursorBefore === undefined
        ? (state.window.end ?? state.startedAt)
        : undefined;
  const refreshedAt = formulaRefreshedAt(state);
  // A reconciliation the run needed but could not finish (the table was behind its commits, too many
  // rows to fetch again) stays owed to the next run, whatever the schedule says.
  const reconcilePending =
    reconciledAt !== undefined ? null : state.reconcile !== undefined ? state.reconcile.reason : undefined;
  if (!committed(stream)) {
    commitSeq = (stream?.commitSeq ?? 0) + 1;
    // Only the lease holder can reach the cursor write, so only it writes a pointer. One written by a
    // commit that then fails is numbered above the stream's sequence, where readers never look, and the
    // next commit replaces it.
    if (stream?.leaseHolder === state.runId) {
      const partials = committedPartials(state);
      await writeCommitPointer(deps.store, deps.layout, {
        seq: commitSeq,
        object: state.object,
        runId: state.runId,
        runDate: state.runDate,
        manifestKey,
        catalogKey: state.catalogKey,
        format: manifest.format,
        committedAt,
        ...(partials.length > 0 ? { partials } : {}),
      });
    }
    try {
      await deps.state.commit(key, state.runId, {
        runId: state.runId,
        cursor: cursorAfter,
        cursorField: state.window.field ?? undefined,
        manifestKey,
        committedAt,
        commitSeq,
        ...(reconciledAt === undefined ? {} : { reconciledAt }),
        ...(refreshedAt === undefined ? {} : { formulaRefreshedAt: refreshedAt }),
        ...(reconcilePending === undefined ? {} : { reconcilePending }),
      });
    } catch (error) {
      const current = error instanceof LeaseConflictError ? await deps.state.get(key) : undefined;
      if (!committed(current)) throw error;
      commitSeq = current?.commitSeq;
    }
  }
  deps.log.info("extract: committed", {
    object: state.object,
    records: state.records,
    parts: state.parts.length,
    cursor: cursorAfter,
    apiCalls: manifest.apiCalls,
  });
  publishExtract(deps.metrics, state.object, {
    records: state.records,
    bytes: state.bytes,
    apiCalls: manifest.apiCalls,
    deletes: state.deletes?.found ?? 0,
    durationSeconds: secondsBetween(state.startedAt, committedAt),
    // How old the object's data in the lake is: its cursor (or, without one, when the read began).
    lagSeconds: lagSeconds(deps.salesforce.serverNow(), cursorAfter ?? state.window.end ?? state.startedAt),
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
    ...(commitSeq === undefined ? {} : { commitSeq }),
    deletes: state.deletes?.found ?? 0,
    // Always present: the state machine keeps it for the run summary.
    reconciled: [
      state.reconcile?.deletes ?? 0,
      state.reconcile?.refetched ?? 0,
      state.reconcile?.apiCalls ?? 0,
    ],
    // Always present too: formula rows refreshed, fields backfilled, and what each cost.
    partial: partialCounts(state),
  };
}
