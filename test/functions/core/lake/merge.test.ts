import { beforeEach, describe, expect, it } from "vitest";
import type { CatalogStream } from "../../../../functions/core/catalog";
import { writeCommitPointer } from "../../../../functions/core/lake/commit-index";
import type { LakeEngine, LakeQueryState } from "../../../../functions/core/lake/lake-engine";
import {
  checkLakeMerge,
  type LakeDeps,
  MAINTAIN_EVERY_RUNS,
  startLakeMerge,
} from "../../../../functions/core/lake/merge";
import { MAX_RUNS_PER_MERGE } from "../../../../functions/core/lake/merge-sql";
import { Layout } from "../../../../functions/core/layout";
import type { LakeWatermark } from "../../../../functions/core/ports";
import { JobFailedError } from "../../../../functions/errors";
import { smallStream } from "../../../support/lake-streams";
import { memoryLog } from "../../../support/memory-log";
import { MemoryObjectStore, MemoryStateStore } from "../../../support/memory-stores";

/** An engine that records what it is asked and answers the statuses a test gives it. */
class FakeEngine implements LakeEngine {
  constructor(readonly watermark: LakeWatermark = "athena") {}

  readonly calls: string[] = [];
  readonly statements: string[] = [];
  answers: LakeQueryState[] = [];

  async ensureTables(stream: CatalogStream) {
    this.calls.push(`ensureTables ${stream.object}`);
  }

  async addRun(_stream: CatalogStream, run: { runId: string; runDate: string }) {
    this.calls.push(`addRun ${run.runId} ${run.runDate}`);
  }

  async startMerge(_stream: CatalogStream, sql: string) {
    this.statements.push(sql);
    this.calls.push("startMerge");
    return `q-${this.statements.length}`;
  }

  async compareIds(): Promise<Array<{ kind: "delete" | "missing"; id: string }>> {
    this.calls.push("compareIds");
    return [];
  }

  async status(queryId: string) {
    this.calls.push(`status ${queryId}`);
    return this.answers.shift() ?? { state: "succeeded" };
  }

  maintenanceStatements: string[] = [];

  maintenance(_stream: CatalogStream) {
    return this.maintenanceStatements;
  }

  async startMaintenance(_stream: CatalogStream, sql: string) {
    this.statements.push(sql);
    this.calls.push(`startMaintenance ${sql}`);
    return `q-${this.statements.length}`;
  }
}

const CATALOG_KEY = "catalog/Thing__c/v1.json";
const KEY = { connection: "test", object: "Thing__c" };

/** The fake engine's table state on the stream (Athena's watermark). */
async function athenaTable(state: MemoryStateStore) {
  return (await state.get(KEY))?.lake?.athena;
}

describe("the lake merge step", () => {
  let store: MemoryObjectStore;
  let state: MemoryStateStore;
  let engine: FakeEngine;
  let deps: LakeDeps;
  const layout = new Layout("");

  /** Commits `count` more runs the way extract's commit does: pointer, then the sequence. */
  async function commitRuns(count: number): Promise<void> {
    for (let n = 0; n < count; n++) {
      const seq = ((await state.get(KEY))?.commitSeq ?? 0) + 1;
      const runId = `sync-${seq}`;
      await writeCommitPointer(store, layout, {
        seq,
        object: "Thing__c",
        runId,
        runDate: "2026-03-01",
        manifestKey: layout.manifest("Thing__c", "2026-03-01", runId),
        catalogKey: CATALOG_KEY,
        format: "jsonl",
        committedAt: "2026-03-01T10:00:00.000Z",
      });
      await state.acquireLease(KEY, runId, 60_000, 0);
      await state.commit(KEY, runId, {
        runId,
        cursor: undefined,
        cursorField: undefined,
        manifestKey: "m",
        committedAt: "t",
        commitSeq: seq,
      });
    }
  }

  beforeEach(async () => {
    store = new MemoryObjectStore();
    state = new MemoryStateStore();
    engine = new FakeEngine();
    await store.put(CATALOG_KEY, JSON.stringify(smallStream()));
    deps = { engine, store, state, layout, connection: "test", log: memoryLog(), now: () => 1_000 };
  });

  it("is done without a statement when nothing was committed after the watermark", async () => {
    // Act
    const result = await startLakeMerge(deps, {
      runId: "sync-9",
      object: "Thing__c",
      catalogKey: CATALOG_KEY,
    });

    // Assess
    expect(result).toMatchObject({ status: "done", mergedSeq: 0, runs: 0 });
    expect(engine.calls).toEqual([]);
  });

  it("merges every run after the watermark in one statement and advances the watermark", async () => {
    // Prepare
    await commitRuns(3);

    // Act
    const result = await startLakeMerge(deps, {
      runId: "sync-3",
      object: "Thing__c",
      catalogKey: CATALOG_KEY,
    });

    // Assess
    expect(engine.calls).toEqual([
      "ensureTables Thing__c",
      "addRun sync-1 2026-03-01",
      "addRun sync-2 2026-03-01",
      "addRun sync-3 2026-03-01",
      "startMerge",
      "status q-1",
    ]);
    expect(engine.statements[0]).toContain(`(VALUES ('sync-1', 1), ('sync-2', 2), ('sync-3', 3))`);
    expect(result).toMatchObject({ status: "done", mergedSeq: 3, runs: 3 });
    expect(await state.get(KEY)).toMatchObject({ commitSeq: 3, lake: { athena: { mergedSeq: 3 } } });
    expect((await athenaTable(state))?.mergeHolder).toBeUndefined();
  });

  it("waits while the statement runs, renewing its claim, then advances", async () => {
    // Prepare
    await commitRuns(1);
    engine.answers = [{ state: "running" }, { state: "running" }];

    // Act
    const started = await startLakeMerge(deps, {
      runId: "sync-1",
      object: "Thing__c",
      catalogKey: CATALOG_KEY,
    });
    const polled = await checkLakeMerge(deps, started);
    const claim = await athenaTable(state);
    const finished = await checkLakeMerge(deps, polled);

    // Assess
    expect(started).toMatchObject({
      status: "running",
      queryId: "q-1",
      fromSeq: 0,
      toSeq: 1,
      waitSeconds: 2,
    });
    expect(polled).toMatchObject({ status: "running", queryId: "q-1", polls: 2, waitSeconds: 4 });
    expect(claim).toMatchObject({ mergeHolder: "sync-1", mergeToSeq: 1 });
    expect(finished).toMatchObject({ status: "done", mergedSeq: 1, runs: 1 });
  });

  it("never applies a merge twice: a repeated check finds the watermark already past it", async () => {
    // Prepare
    await commitRuns(2);
    engine.answers = [{ state: "running" }];
    const task = { runId: "sync-2", object: "Thing__c", catalogKey: CATALOG_KEY };
    const started = await startLakeMerge(deps, task);
    await checkLakeMerge(deps, started);

    // Act: the check again (its answer was lost), then another merge.
    const repeated = await checkLakeMerge(deps, started);
    const again = await startLakeMerge(deps, task);

    // Assess
    expect(repeated).toMatchObject({ status: "done", mergedSeq: 2 });
    expect(again).toMatchObject({ status: "done", mergedSeq: 2, runs: 0 });
    expect(engine.statements).toHaveLength(1);
    expect((await athenaTable(state))?.mergedSeq).toBe(2);
  });

  it("fails a check whose claim another merge took over, leaving the watermark", async () => {
    // Prepare
    await commitRuns(1);
    engine.answers = [{ state: "running" }];
    const started = await startLakeMerge(deps, {
      runId: "sync-1",
      object: "Thing__c",
      catalogKey: CATALOG_KEY,
    });
    // The claim expired and another merge took it over from the same watermark.
    await state.claimMerge(KEY, "athena", { holder: "sync-other", fromSeq: 0, toSeq: 1 }, 60_000, 10_000_000);

    // Act
    const checked = checkLakeMerge(deps, started);

    // Assess
    await expect(checked).rejects.toThrow("could not advance the watermark");
    expect((await athenaTable(state))?.mergedSeq).toBeUndefined();
  });

  it("reports a failed statement, leaves the watermark, and the next merge catches up", async () => {
    // Prepare
    await commitRuns(1);
    engine.answers = [{ state: "failed", error: "Binder Error: no column x" }];

    // Act
    const failed = startLakeMerge(deps, { runId: "sync-1", object: "Thing__c", catalogKey: CATALOG_KEY });

    // Assess
    await expect(failed).rejects.toBeInstanceOf(JobFailedError);
    await expect(
      startLakeMerge(deps, { runId: "sync-1", object: "Thing__c", catalogKey: CATALOG_KEY }),
    ).resolves.toMatchObject({ status: "done", mergedSeq: 1, runs: 1 });
    expect(engine.statements).toHaveLength(2);
    expect((await athenaTable(state))?.lastMergeError).toBeUndefined();
  });

  it("says why a statement failed and keeps the reason on the stream", async () => {
    // Prepare
    await commitRuns(2);
    engine.answers = [{ state: "failed", error: "Binder Error: no column x" }];

    // Act
    const error = (await startLakeMerge(deps, {
      runId: "sync-2",
      object: "Thing__c",
      catalogKey: CATALOG_KEY,
    }).catch((caught: unknown) => caught)) as Error;

    // Assess
    expect(error.message).toBe(
      "Thing__c: the lake merge of commits 1-2 failed (q-1): Binder Error: no column x. The watermark stays at 0; the next merge catches up.",
    );
    expect(await athenaTable(state)).toMatchObject({ lastMergeError: error.message });
    expect((await athenaTable(state))?.mergedSeq).toBeUndefined();
  });

  it("waits for another merge of the stream, then merges what is left", async () => {
    // Prepare
    await commitRuns(2);
    await state.claimMerge(KEY, "athena", { holder: "sync-other", fromSeq: 0, toSeq: 1 }, 60_000, 1_000);

    // Act
    const waiting = await startLakeMerge(deps, {
      runId: "sync-2",
      object: "Thing__c",
      catalogKey: CATALOG_KEY,
    });
    await state.advanceMerged(KEY, "athena", { holder: "sync-other", fromSeq: 0, toSeq: 1 }, "t");
    const resumed = await checkLakeMerge(deps, waiting);

    // Assess
    expect(waiting).toMatchObject({ status: "running", waitingFor: "sync-other" });
    expect(waiting.queryId).toBeUndefined();
    expect(resumed).toMatchObject({ status: "done", mergedSeq: 2, runs: 1 });
    expect(engine.statements[0]).toContain(`(VALUES ('sync-2', 2))`);
  });

  it("catches up a long backlog in batches", async () => {
    // Prepare
    await commitRuns(MAX_RUNS_PER_MERGE + 5);

    // Act
    const result = await startLakeMerge(deps, { runId: "x", object: "Thing__c", catalogKey: CATALOG_KEY });

    // Assess
    expect(result).toMatchObject({ status: "done", mergedSeq: MAX_RUNS_PER_MERGE + 5, runs: 105 });
    expect(engine.statements).toHaveLength(2);
  });

  it("maintains the table every MAINTAIN_EVERY_RUNS runs, statement after statement, holding the table", async () => {
    // Prepare
    engine.maintenanceStatements = ["OPTIMIZE t", "VACUUM t"];
    await commitRuns(MAINTAIN_EVERY_RUNS - 1);
    const task = { runId: "sync-a", object: "Thing__c", catalogKey: CATALOG_KEY };
    const early = await startLakeMerge(deps, task);
    await commitRuns(1);
    engine.calls.length = 0;
    engine.answers = [{ state: "succeeded" }, { state: "running" }];

    // Act
    const maintaining = await startLakeMerge(deps, { ...task, runId: "sync-b" });
    const heldDuring = (await athenaTable(state))?.mergeHolder;
    let result = maintaining;
    while (result.status === "running") result = await checkLakeMerge(deps, result);

    // Assess
    expect(early).toMatchObject({ status: "done", mergedSeq: MAINTAIN_EVERY_RUNS - 1 });
    expect(maintaining).toMatchObject({
      status: "running",
      maintenanceStep: 0,
      mergedSeq: MAINTAIN_EVERY_RUNS,
    });
    expect(heldDuring).toBe("sync-b");
    expect(engine.calls.filter((call) => !call.startsWith("addRun"))).toEqual([
      "ensureTables Thing__c",
      "startMerge",
      "status q-2",
      "startMaintenance OPTIMIZE t",
      "status q-3",
      "status q-3",
      "startMaintenance VACUUM t",
      "status q-4",
    ]);
    expect(result).toEqual({
      ...task,
      runId: "sync-b",
      status: "done",
      mergedSeq: MAINTAIN_EVERY_RUNS,
      runs: 1,
      polls: 4,
      waitSeconds: 0,
    });
    expect(await athenaTable(state)).toMatchObject({ mergedSeq: MAINTAIN_EVERY_RUNS });
    expect((await athenaTable(state))?.mergeHolder).toBeUndefined();
  });

  it("ends done when maintenance fails, saying why on the stream, the watermark where the merge left it", async () => {
    // Prepare
    engine.maintenanceStatements = ["OPTIMIZE t", "VACUUM t"];
    await commitRuns(MAINTAIN_EVERY_RUNS);
    engine.answers = [{ state: "succeeded" }, { state: "failed", error: "ICEBERG_COMMIT_ERROR" }];

    // Act
    let result = await startLakeMerge(deps, { runId: "sync-m", object: "Thing__c", catalogKey: CATALOG_KEY });
    while (result.status === "running") result = await checkLakeMerge(deps, result);

    // Assess
    expect(result).toMatchObject({
      status: "done",
      mergedSeq: MAINTAIN_EVERY_RUNS,
      runs: MAINTAIN_EVERY_RUNS,
    });
    expect(engine.statements.at(-1)).toBe("OPTIMIZE t");
    const table = await athenaTable(state);
    expect(table).toMatchObject({ mergedSeq: MAINTAIN_EVERY_RUNS });
    expect(table?.mergeHolder).toBeUndefined();
    expect(table?.lastMergeError).toMatch(
      /table maintenance failed .*ICEBERG_COMMIT_ERROR. The table is complete/,
    );
  });

  it("names a missing commit pointer instead of skipping the run", async () => {
    // Prepare
    await commitRuns(2);
    store.objects.delete(layout.commitPointer("Thing__c", 1));

    // Act
    const merging = startLakeMerge(deps, { runId: "sync-2", object: "Thing__c", catalogKey: CATALOG_KEY });

    // Assess
    await expect(merging).rejects.toThrow(
      "Thing__c: commit 1 has no pointer at data/Thing__c/_commits/0000000001.json",
    );
    expect(await athenaTable(state)).not.toHaveProperty("mergeHolder");
  });

  it("keeps each engine's watermark and claim: one engine's merges neither skip nor block the other's", async () => {
    // Prepare: two runs merged into Athena's table while DuckDB's merge of the stream is in flight.
    await commitRuns(2);
    const duckdb = new FakeEngine("duckdb");
    duckdb.answers = [{ state: "running" }];
    const local = { ...deps, engine: duckdb };
    const task = { runId: "sync-2", object: "Thing__c", catalogKey: CATALOG_KEY };
    const localStarted = await startLakeMerge(local, task);

    // Act
    const athena = await startLakeMerge(deps, task);
    await commitRuns(1);
    const localDone = await checkLakeMerge(local, localStarted);

    // Assess: Athena merged runs 1-2 while DuckDB held its own claim; DuckDB then merged 1-2 and 3.
    expect(athena).toMatchObject({ status: "done", mergedSeq: 2, runs: 2 });
    expect(engine.statements).toHaveLength(1);
    expect(localDone).toMatchObject({ status: "done", mergedSeq: 3, runs: 3 });
    expect(duckdb.statements).toHaveLength(2);
    expect(duckdb.statements[0]).toContain(`(VALUES ('sync-1', 1), ('sync-2', 2))`);
    expect(duckdb.statements[1]).toContain(`(VALUES ('sync-3', 3))`);
    expect((await state.get(KEY))?.lake).toMatchObject({
      athena: { mergedSeq: 2 },
      duckdb: { mergedSeq: 3 },
    });
  });
});
