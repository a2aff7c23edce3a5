import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import type { LoadDeps } from "../../../../functions/core/load/load-deps";
import type { LoadPlan } from "../../../../functions/core/load/load-plan";
import { initialLoadState, type LoadState } from "../../../../functions/core/load/load-state";
import { readCsvRecords } from "../../../../functions/core/load/row-codec";
import type { SfValue } from "../../../../functions/core/load/row-cursor";
import { stagedJobKey } from "../../../../functions/core/load/run-folder";
import {
  JobStager,
  locateStaged,
  stagedRows,
  stagedStart,
} from "../../../../functions/core/load/staged-jobs";
import { LoadSettingsSchema } from "../../../../functions/core/settings";
import { catalogField } from "../../../support/catalog-field";
import { MemoryStore } from "./memory-store";

const field = (name: string) => catalogField(name);

function planOf(...names: string[]): LoadPlan {
  return {
    object: "Invoice__c",
    operation: "insert",
    format: "jsonl",
    columns: names.map((name) => ({ header: name, name, field: field(name) })),
    idColumn: -1,
  };
}

function stateOf(): LoadState {
  return initialLoadState({
    runId: "run-1",
    file: { bucket: "memory", key: "inbound/Invoice__c/insert/a.jsonl", version: "v1", claimVersion: "v1" },
    target: { object: "Invoice__c", operation: "insert" },
    resultsFolder: "results/inbound/Invoice__c/insert/a.jsonl/",
    claimedAt: "2026-01-01T00:00:00.000Z",
  });
}

function depsOf(store: MemoryStore, jobMaxBytes: number): LoadDeps {
  return { store, settings: LoadSettingsSchema.parse({ jobMaxBytes }) } as unknown as LoadDeps;
}

async function readJob(store: MemoryStore, key: string): Promise<{ header: string[]; rows: string[][] }> {
  const bytes = store.objects.get(key);
  if (!bytes) throw new Error(`${key} was not written`);
  const records = readCsvRecords(Readable.from([bytes]));
  const header = await records.header();
  const rows: string[][] = [];
  for await (const batch of records.rows()) rows.push(...batch);
  return { header, rows };
}

describe("JobStager", () => {
  it("writes valid rows as whole job files, split at jobMaxBytes, and lists them once committed", async () => {
    // Prepare
    const store = new MemoryStore();
    const state = stateOf();
    const plan = planOf("ERP_Id__c", "Notes__c");
    const stager = new JobStager(depsOf(store, 1024), state);
    const rows: SfValue[][] = Array.from({ length: 200 }, (_, k) => [`INV-${k}`, `note, "${k}"`]);

    // Act
    for (const row of rows) await stager.write(plan, row);
    const listedBeforeCommit = state.staged;
    await stager.commit();

    // Assess
    expect(listedBeforeCommit).toBeUndefined();
    const staged = state.staged ?? [];
    expect(staged.length).toBeGreaterThanOrEqual(4);
    expect(staged.reduce((sum, job) => sum + job.rows, 0)).toBe(rows.length);
    const read: string[][] = [];
    for (const [index, job] of staged.entries()) {
      const key = stagedJobKey(state, index);
      expect(store.objects.get(key)?.length).toBeLessThanOrEqual(1024);
      const file = await readJob(store, key);
      expect(file.header).toEqual(["ERP_Id__c", "Notes__c"]);
      expect(file.rows).toHaveLength(job.rows);
      expect(job.columns).toBe(2);
      read.push(...file.rows);
    }
    expect(read).toEqual(rows);
  });

  it("starts a new file when the plan grows, pads shorter rows, and continues after earlier invocations", async () => {
    // Prepare: one file staged by an earlier invocation.
    const store = new MemoryStore();
    const state = stateOf();
    state.staged = [{ rows: 7, columns: 1 }];
    const stager = new JobStager(depsOf(store, 1 << 20), state);

    // Act
    await stager.write(planOf("ERP_Id__c"), ["A"]);
    await stager.write(planOf("ERP_Id__c", "Paid__c"), ["B", "true"]);
    await stager.write(planOf("ERP_Id__c", "Paid__c"), ["C"]);
    await stager.write(planOf("ERP_Id__c", "Paid__c", "Notes__c"), [null, undefined, "x"]);
    await stager.commit();

    // Assess
    expect(state.staged).toEqual([
      { rows: 7, columns: 1 },
      { rows: 1, columns: 1 },
      { rows: 2, columns: 2 },
      { rows: 1, columns: 3 },
    ]);
    expect(store.objects.has(stagedJobKey(state, 0))).toBe(false);
    expect(await readJob(store, stagedJobKey(state, 1))).toEqual({ header: ["ERP_Id__c"], rows: [["A"]] });
    expect(await readJob(store, stagedJobKey(state, 2))).toEqual({
      header: ["ERP_Id__c", "Paid__c"],
      rows: [
        ["B", "true"],
        ["C", ""],
      ],
    });
    expect(await readJob(store, stagedJobKey(state, 3))).toEqual({
      header: ["ERP_Id__c", "Paid__c", "Notes__c"],
      rows: [["#N/A", "", "x"]],
    });
  });

  it("lists nothing and leaves no file when aborted", async () => {
    // Prepare
    const store = new MemoryStore();
    const state = stateOf();
    const stager = new JobStager(depsOf(store, 1 << 20), state);
    await stager.write(planOf("ERP_Id__c"), ["A"]);

    // Act
    await stager.abort(new Error("the file broke at row 900,000"));

    // Assess
    expect(state.staged).toBeUndefined();
    expect([...store.objects.keys()].filter((key) => key.includes("/staged/"))).toEqual([]);
  });
});

describe("staged rows", () => {
  it("locates a position in the staged files and reads rows from one position up to another", async () => {
    // Prepare: three files of 3, 3 and 4 rows, each under a wider plan than the one before.
    const store = new MemoryStore();
    const state = stateOf();
    const stager = new JobStager(depsOf(store, 1 << 20), state);
    const plans = [planOf("A"), planOf("A", "B"), planOf("A", "B", "C")];
    let n = 0;
    for (const [file, size] of [3, 3, 4].entries()) {
      const plan = plans[file] as LoadPlan;
      for (let k = 0; k < size; k++)
        await stager.write(plan, [`R-${n++}`, ...plan.columns.slice(1).map(() => "#")]);
    }
    await stager.commit();
    const staged = state.staged ?? [];

    // Act
    const items = [];
    for await (const batch of stagedRows(depsOf(store, 1 << 20), state, 2, 7)) items.push(...batch);

    // Assess
    expect(staged.map((job) => job.rows)).toEqual([3, 3, 4]);
    expect(locateStaged(staged, 0)).toEqual({ index: 0, offset: 0 });
    expect(locateStaged(staged, 4)).toEqual({ index: 1, offset: 1 });
    expect(locateStaged(staged, 6)).toEqual({ index: 2, offset: 0 });
    expect(locateStaged(staged, 10)).toEqual({ index: 3, offset: 0 });
    expect(stagedStart(staged, 2)).toBe(6);
    expect(stagedStart(staged, 3)).toBe(10);
    expect(items.map((item) => (item.ok ? [item.row.index, item.row.values] : item))).toEqual([
      [2, ["R-2"]],
      [3, ["R-3", "#"]],
      [4, ["R-4", "#"]],
      [5, ["R-5", "#"]],
      [6, ["R-6", "#", "#"]],
    ]);
  });
});
