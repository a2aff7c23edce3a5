/**
 * The merge step, engine-agnostic: after an object's commit, bring its current-state table up to date
 * with every committed run after the watermark, in commit order, with one MERGE per batch of runs. The
 * watermark and the claim are the engine's own (`engine.watermark`): each engine's table keeps its own.
 *
 * `startLakeMerge` reads the watermark and the commit index after it, claims the merge (one per stream
 * at a time, from this watermark only), makes the tables and the runs' partitions exist, builds the SQL
 * and starts it; `checkLakeMerge` polls it and, once it succeeded, advances the watermark with a write
 * that requires the previous value, then goes on with any runs committed since. A failed statement
 * releases the claim, leaves the watermark where it was (the next merge catches up) and is thrown, so it
 * is reported, never skipped. Nothing to merge: done, no statement.
 *
 * Every MAINTAIN_EVERY_RUNS runs (when a merge moves the watermark across a multiple of it), the step
 * then runs the engine's maintenance statements under a claim that merges nothing, so no MERGE runs
 * into the table meanwhile. A maintenance statement that fails is logged and recorded on the table's
 * state, and the step still ends done: the table is complete, only less compact until the next time.
 */
import { describeError, JobFailedError, LeaseConflictError } from "../../errors";
import type { CatalogStream } from "../catalog";
import { readStream } from "../catalog-store";
import type { Layout } from "../layout";
import type { Log, MergeClaim, ObjectStore, StateStore, StreamKey } from "../ports";
import { readCommitPointers } from "./commit-index";
import { buildHistorySelect } from "./history-sql";
import type { LakeEngine } from "./lake-engine";
import { buildMergeSql, MAX_RUNS_PER_MERGE } from "./merge-sql";

/** The stream's history SELECT, when it has one (a stream without a cursor field has no history). */
function historySelect(stream: CatalogStream): string | undefined {
  return stream.cursorField === null ? undefined : buildHistorySelect(stream);
}

export interface LakeDeps {
  engine: LakeEngine;
  store: ObjectStore;
  state: StateStore;
  layout: Layout;
  connection: string;
  log: Log;
  /** Local clock (epoch ms), for the merge lease. */
  now?: () => number;
  /** How long a merge claim lasts without a poll renewing it (default 15 minutes). */
  leaseMs?: number;
}

/** One object's merge, as the sync state machine starts it after "Commit object". */
export interface MergeTask {
  runId: string;
  object: string;
  catalogKey: string;
}

/** The continuation the merge and check actions return (small: it rides in the execution's state). */
export interface MergeState extends MergeTask {
  /** `running`: wait `waitSeconds`, then check. `done`: the table holds every committed run. */
  status: "running" | "done";
  /** The statement in flight. Absent while waiting for another merge of the stream to finish. */
  queryId?: string;
  /** The batch in flight: commits `fromSeq + 1` through `toSeq`. */
  fromSeq?: number;
  toSeq?: number;
  /** The watermark as this step last saw or set it. */
  mergedSeq: number;
  /** Runs this step merged so far. */
  runs: number;
  /** The other merge this one waits for, when the stream's merge lease is taken. */
  waitingFor?: string;
  /** The merges moved the watermark across a multiple of MAINTAIN_EVERY_RUNS: maintain once done. */
  maintain?: boolean;
  /** The maintenance statement in flight (`queryId`), by its index in the engine's list. */
  maintenanceStep?: number;
  polls: number;
  waitSeconds: number;
}

const DEFAULT_LEASE_MS = 15 * 60_000;
/** Runs merged between two maintenances of a table (a day of hourly syncs). */
export const MAINTAIN_EVERY_RUNS = 24;
const FIRST_WAIT_SECONDS = 2;
const MAX_WAIT_SECONDS = 30;

function waitAfter(polls: number): number {
  return Math.min(MAX_WAIT_SECONDS, FIRST_WAIT_SECONDS * 2 ** Math.min(Math.max(polls - 1, 0), 5));
}

function keyOf(deps: LakeDeps, object: string): StreamKey {
  return { connection: deps.connection, object };
}

function claimOf(state: MergeState): MergeClaim {
  return { holder: state.runId, fromSeq: state.fromSeq ?? 0, toSeq: state.toSeq ?? 0 };
}

function taskOf(state: MergeTask): MergeTask {
  return { runId: state.runId, object: state.object, catalogKey: state.catalogKey };
}

/** Start merging the runs after the watermark (or answer done when there are none). */
export async function startLakeMerge(
  deps: LakeDeps,
  task: MergeTask,
  progress: { runs: number; polls: number; maintain?: boolean } = { runs: 0, polls: 0 },
): Promise<MergeState> {
  const now = deps.now ?? Date.now;
  const key = keyOf(deps, task.object);
  const watermark = deps.engine.watermark;
  const stream = await deps.state.get(key);
  const committed = stream?.commitSeq ?? 0;
  const merged = stream?.lake?.[watermark]?.mergedSeq ?? 0;
  const base = {
    ...taskOf(task),
    mergedSeq: merged,
    runs: progress.runs,
    polls: progress.polls,
    ...(progress.maintain ? { maintain: true } : {}),
  };
  if (committed <= merged) {
    deps.log.info("lake: up to date", {
      object: task.object,
      watermark,
      mergedSeq: merged,
      runs: progress.runs,
    });
    if (progress.maintain) return startMaintenance(deps, { ...base, status: "running", waitSeconds: 0 }, 0);
    return { ...base, status: "done", waitSeconds: 0 };
  }
  const claim: MergeClaim = {
    holder: task.runId,
    fromSeq: merged,
    toSeq: Math.min(committed, merged + MAX_RUNS_PER_MERGE),
  };
  try {
    await deps.state.claimMerge(key, watermark, claim, deps.leaseMs ?? DEFAULT_LEASE_MS, now());
  } catch (error) {
    if (!(error instanceof LeaseConflictError)) throw error;
    // Another merge of this table is in flight (or just moved the watermark): wait, then try again.
    const waitingFor = (await deps.state.get(key))?.lake?.[watermark]?.mergeHolder ?? "another merge";
    deps.log.info("lake: waiting for another merge", { object: task.object, waitingFor });
    return { ...base, status: "running", waitingFor, waitSeconds: waitAfter(progress.polls) };
  }
  let queryId: string;
  try {
    const pointers = await readCommitPointers(
      deps.store,
      deps.layout,
      task.object,
      claim.fromSeq,
      claim.toSeq,
    );
    // Each run's catalog version, oldest first: the tables get every version's columns (a removed or
    // retyped field keeps its column), and each run's partition the columns its parts were written with.
    const catalog = await readStream(deps.store, pointers.at(-1)?.catalogKey ?? task.catalogKey);
    const versions = new Map<string, CatalogStream>();
    for (const pointer of pointers) {
      if (versions.has(pointer.catalogKey)) continue;
      const version =
        pointer.catalogKey === pointers.at(-1)?.catalogKey
          ? catalog
          : await readStream(deps.store, pointer.catalogKey);
      versions.set(pointer.catalogKey, version);
      // The newest version also brings the history view (its SELECT follows the stream's columns).
      await deps.engine.ensureTables(version, version === catalog ? historySelect(catalog) : undefined);
    }
    if (versions.size === 0) await deps.engine.ensureTables(catalog, historySelect(catalog));
    for (const pointer of pointers) {
      const version = versions.get(pointer.catalogKey) ?? catalog;
      await deps.engine.addRun(version, { runId: pointer.runId, runDate: pointer.runDate });
    }
    const sql = buildMergeSql(
      catalog,
      pointers.map((pointer) => ({ runId: pointer.runId, seq: pointer.seq, partials: pointer.partials })),
    );
    queryId = await deps.engine.startMerge(catalog, sql);
  } catch (error) {
    await releaseQuietly(deps, key, claim.holder, error);
    throw error;
  }
  deps.log.info("lake: merge started", {
    object: task.object,
    watermark,
    queryId,
    fromSeq: claim.fromSeq,
    toSeq: claim.toSeq,
  });
  return checkLakeMerge(deps, {
    ...base,
    status: "running",
    queryId,
    fromSeq: claim.fromSeq,
    toSeq: claim.toSeq,
    waitSeconds: FIRST_WAIT_SECONDS,
  });
}

/** Poll the statement in flight; on success advance the watermark and go on with what is left. */
export async function checkLakeMerge(deps: LakeDeps, state: MergeState): Promise<MergeState> {
  const now = deps.now ?? Date.now;
  if (state.status === "done") return state;
  const polls = state.polls + 1;
  const progress = { runs: state.runs, polls, maintain: state.maintain };
  if (state.queryId === undefined) return startLakeMerge(deps, taskOf(state), progress);
  if (state.maintenanceStep !== undefined) return checkMaintenance(deps, { ...state, polls });
  const key = keyOf(deps, state.object);
  const watermark = deps.engine.watermark;
  const claim = claimOf(state);
  const status = await deps.engine.status(state.queryId);
  if (status.state === "running") {
    // Renew the claim while the statement runs, so no other merge starts from the same watermark.
    await deps.state.claimMerge(key, watermark, claim, deps.leaseMs ?? DEFAULT_LEASE_MS, now());
    return { ...state, polls, waitSeconds: waitAfter(polls) };
  }
  if (status.state === "failed") {
    const message = `${state.object}: the lake merge of commits ${claim.fromSeq + 1}-${claim.toSeq} failed (${state.queryId}): ${status.error}. The watermark stays at ${claim.fromSeq}; the next merge catches up.`;
    await deps.state.releaseMerge(key, watermark, claim.holder, message);
    throw new JobFailedError(message, { object: state.object });
  }
  try {
    await deps.state.advanceMerged(key, watermark, claim, new Date(now()).toISOString());
  } catch (error) {
    // A check repeated after its answer was lost finds the watermark already moved by its first attempt
    // (or past it): the merge is in, nothing is applied twice. Anything else is a real conflict.
    const current = error instanceof LeaseConflictError ? await deps.state.get(key) : undefined;
    if ((current?.lake?.[watermark]?.mergedSeq ?? 0) < claim.toSeq) throw error;
    deps.log.info("lake: the watermark was already advanced", { object: state.object, toSeq: claim.toSeq });
    return startLakeMerge(deps, taskOf(state), progress);
  }
  const runs = state.runs + (claim.toSeq - claim.fromSeq);
  deps.log.info("lake: merged", {
    object: state.object,
    watermark,
    queryId: state.queryId,
    mergedSeq: claim.toSeq,
    runs: claim.toSeq - claim.fromSeq,
  });
  const crossed =
    Math.floor(claim.toSeq / MAINTAIN_EVERY_RUNS) > Math.floor(claim.fromSeq / MAINTAIN_EVERY_RUNS);
  // Runs committed while this one merged (or beyond this batch) are merged next, by the same step.
  return startLakeMerge(deps, taskOf(state), { runs, polls, maintain: state.maintain || crossed });
}

/** A claim that merges nothing: it keeps other merges out of the table while maintenance runs. */
function holdingClaim(state: MergeState): MergeClaim {
  return { holder: state.runId, fromSeq: state.mergedSeq, toSeq: state.mergedSeq };
}

/** Start maintenance statement `step` (claiming the table first), or finish when there is none left. */
async function startMaintenance(deps: LakeDeps, state: MergeState, step: number): Promise<MergeState> {
  const now = deps.now ?? Date.now;
  const key = keyOf(deps, state.object);
  const watermark = deps.engine.watermark;
  const claim = holdingClaim(state);
  const done: MergeState = { ...taskOf(state), ...doneFields(state) };
  const catalog = await readStream(deps.store, state.catalogKey);
  const statements = deps.engine.maintenance(catalog);
  if (step >= statements.length) {
    if (step > 0) {
      // Release the claim without moving the watermark (an advance from the watermark to itself).
      await deps.state.advanceMerged(key, watermark, claim, new Date(now()).toISOString());
      deps.log.info("lake: maintained", { object: state.object, watermark, statements: statements.length });
    }
    return done;
  }
  try {
    await deps.state.claimMerge(key, watermark, claim, deps.leaseMs ?? DEFAULT_LEASE_MS, now());
  } catch (error) {
    if (!(error instanceof LeaseConflictError)) throw error;
    // Another merge took the table meanwhile: it merges the newer runs; maintenance waits for next time.
    deps.log.info("lake: maintenance skipped, another merge holds the table", { object: state.object });
    return done;
  }
  const sql = statements[step] as string;
  let queryId: string;
  try {
    queryId = await deps.engine.startMaintenance(catalog, sql);
  } catch (error) {
    const reason = String(describeError(error).message ?? error);
    return maintenanceFailed(deps, { ...state, queryId: undefined }, claim, reason);
  }
  deps.log.info("lake: maintenance started", { object: state.object, watermark, queryId, step });
  return { ...state, status: "running", queryId, maintenanceStep: step, waitSeconds: FIRST_WAIT_SECONDS };
}

async function checkMaintenance(deps: LakeDeps, state: MergeState): Promise<MergeState> {
  const now = deps.now ?? Date.now;
  const key = keyOf(deps, state.object);
  const claim = holdingClaim(state);
  const status = await deps.engine.status(state.queryId ?? "");
  if (status.state === "running") {
    await deps.state.claimMerge(key, deps.engine.watermark, claim, deps.leaseMs ?? DEFAULT_LEASE_MS, now());
    return { ...state, waitSeconds: waitAfter(state.polls) };
  }
  if (status.state === "failed") return maintenanceFailed(deps, state, claim, status.error);
  return startMaintenance(deps, state, (state.maintenanceStep ?? 0) + 1);
}

/** Log and record a failed maintenance statement, release the table, and end done. */
async function maintenanceFailed(
  deps: LakeDeps,
  state: MergeState,
  claim: MergeClaim,
  error: string,
): Promise<MergeState> {
  const message = `${state.object}: the lake's table maintenance failed (${state.queryId ?? "not started"}): ${error}. The table is complete; it is maintained again after the next ${MAINTAIN_EVERY_RUNS} runs.`;
  deps.log.warn("lake: maintenance failed", { object: state.object, error: message });
  await deps.state.releaseMerge(keyOf(deps, state.object), deps.engine.watermark, claim.holder, message);
  return { ...taskOf(state), ...doneFields(state) };
}

function doneFields(state: MergeState): Omit<MergeState, keyof MergeTask> {
  return { status: "done", mergedSeq: state.mergedSeq, runs: state.runs, polls: state.polls, waitSeconds: 0 };
}

async function releaseQuietly(deps: LakeDeps, key: StreamKey, holder: string, error: unknown): Promise<void> {
  try {
    await deps.state.releaseMerge(
      key,
      deps.engine.watermark,
      holder,
      String(describeError(error).message ?? error),
    );
  } catch (release) {
    deps.log.warn("lake: could not release the merge claim", {
      object: key.object,
      error: describeError(release),
    });
  }
}
