/**
 * Id reconciliation end to end on one machine: the demo org in the emulator (HTTP), the embedded bucket
 * and state table, the extract and lake handlers as the sync state machine runs them (reconciling runs
 * compare their Id snapshot in the lake before they commit), and SQL over the local lake (DuckDB): after
 * a reconciling run and its merge, the current-state table holds exactly the org's live Ids.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { Manifest } from "../../../functions/core/extract/manifest";
import type { Runtime } from "../../../functions/runtime/runtime";
import { openRuntimeLake } from "../../../local/lake/local-lake";
import { driveMerge, driveSync } from "../../support/drive";
import { type Harness, type HarnessOptions, startDemoHarness } from "../../support/harness";

const T0 = Date.parse("2026-06-01T12:00:00.000Z");
const MINUTE = 60_000;
const DAY = 86_400_000;

let harness: Harness | undefined;

afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

async function start(options: HarnessOptions = {}): Promise<Harness> {
  harness = await startDemoHarness(T0, options);
  return harness;
}

let runs = 0;

/** A sync of the objects, then each one's merge (as the state machine runs them); the manifests. */
async function syncAndMerge(h: Harness, objects: string[]): Promise<Map<string, Manifest>> {
  runs += 1;
  const runId = `reconcile-${runs}`;
  const summaries = await driveSync(h.runtime, runId, { objects });
  const manifests = new Map<string, Manifest>();
  for (const [object, summary] of summaries) {
    expect(summary.status, `${object} synced`).toBe("succeeded");
    const catalogKey = (
      JSON.parse(new TextDecoder().decode(await h.runtime.store.get(summary.manifestKey ?? ""))) as Manifest
    ).catalogKey;
    const merged = await driveMerge(h.runtime, { runId, object, catalogKey });
    expect(merged.status).toBe("done");
    manifests.set(
      object,
      JSON.parse(new TextDecoder().decode(await h.runtime.store.get(summary.manifestKey ?? ""))) as Manifest,
    );
  }
  return manifests;
}

/** The Ids of the local current-state table, by `saddledata query`'s engine (DuckDB over the lake). */
async function lakeIds(runtime: Runtime, object: string): Promise<string[]> {
  const lake = await openRuntimeLake(runtime);
  try {
    const reader = await lake.connection.runAndReadAll(
      `SELECT id FROM "${object.toLowerCase()}" ORDER BY id`,
    );
    return reader.getRowObjectsJS().map((row) => String(row.id));
  } finally {
    lake.close();
  }
}

function orgIds(h: Harness, object: string): string[] {
  return [...h.emulator.org.query(`SELECT Id FROM ${object}`, { includeDeleted: false }).rows()]
    .map((row) => row.id as string)
    .sort();
}

async function control(h: Harness, path: string, body: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${h.emulator.url}/__emulator/${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(response.status, `POST /__emulator/${path}`).toBe(200);
}

describe("Id reconciliation", () => {
  it("removes hard deletes the delete log lost (recycle bin emptied) from the current-state table", async () => {
    // Prepare: a first run and its merge; then hard deletes, and the bin emptied, so getDeleted cannot
    // answer for the next window.
    const h = await start();
    const org = h.emulator.org;
    await syncAndMerge(h, ["Account"]);
    org.clock.set(T0 + 10 * MINUTE, { frozen: true });
    const gone = orgIds(h, "Account").slice(0, 3);
    for (const id of gone) expect(org.hardDelete("Account", id).success).toBe(true);
    await control(h, "recycle-bin", { empty: true, object: "Account" });
    org.clock.set(T0 + 20 * MINUTE, { frozen: true });
    expect(await lakeIds(h.runtime, "Account")).toEqual(expect.arrayContaining(gone));

    // Act
    const manifest = (await syncAndMerge(h, ["Account"])).get("Account");

    // Assess
    expect(manifest?.deletes?.lost).toMatch(/delete log could not be read/);
    expect(manifest?.reconcile).toMatchObject({ reason: "getDeleted", deletes: 3, refetched: 0 });
    expect(manifest?.reconcile?.ids).toBe(orgIds(h, "Account").length);
    // One Bulk job: create, poll(s), one results page, delete.
    expect(manifest?.reconcile?.apiCalls).toBeGreaterThanOrEqual(4);
    expect(manifest?.reconcile?.apiCalls).toBeLessThanOrEqual(8);
    expect(manifest?.salesforceJobIds).toHaveLength(1);
    expect(manifest?.warnings).toBeUndefined();
    const lake = await lakeIds(h.runtime, "Account");
    for (const id of gone) expect(lake).not.toContain(id);
    expect(lake).toEqual(orgIds(h, "Account"));
    const state = await h.runtime.state.get({ connection: "test", object: "Account" });
    expect(state?.lastReconciledAt).toBe(manifest?.reconcile?.snapshotAt);
  });

  it("fetches again a record missing from the table, on the schedule reconcileEvery sets", async () => {
    // Prepare: a record stamped before the cursor when it lands (as if committed very late): no
    // incremental window ever reads it, so the table lacks it.
    const h = await start({ settings: { reconcileEvery: "1d" } });
    const org = h.emulator.org;
    await syncAndMerge(h, ["Contact"]);
    const first = await h.runtime.state.get({ connection: "test", object: "Contact" });
    expect(first?.lastReconciledAt).toBe(new Date(T0).toISOString());
    org.clock.set(T0 + 10 * MINUTE, { frozen: true });
    const lost = org.insert("Contact", { LastName: "Lost-in-transit" }, "json").id as string;
    org.touch("Contact", [lost], { at: T0 - DAY });
    org.clock.set(T0 + 20 * MINUTE, { frozen: true });
    const notDue = (await syncAndMerge(h, ["Contact"])).get("Contact");
    expect(notDue?.reconcile).toBeUndefined();
    expect(await lakeIds(h.runtime, "Contact")).not.toContain(lost);
    org.clock.set(T0 + DAY + 30 * MINUTE, { frozen: true });

    // Act
    const due = (await syncAndMerge(h, ["Contact"])).get("Contact");

    // Assess
    expect(due?.reconcile).toMatchObject({ reason: "schedule", deletes: 0, refetched: 1 });
    const refetched = due?.parts.at(-1);
    expect(refetched?.records).toBe(1);
    const lake = await lakeIds(h.runtime, "Contact");
    expect(lake).toContain(lost);
    expect(lake).toEqual(orgIds(h, "Contact"));
    const state = await h.runtime.state.get({ connection: "test", object: "Contact" });
    expect(state?.lastReconciledAt).toBe(due?.reconcile?.snapshotAt);
    expect(Date.parse(state?.lastReconciledAt ?? "")).toBeGreaterThan(T0 + DAY);
    // Its next run is not due again for a day.
    org.clock.set(T0 + DAY + 40 * MINUTE, { frozen: true });
    expect((await syncAndMerge(h, ["Contact"])).get("Contact")?.reconcile).toBeUndefined();
  });

  it("reconciles instead of warning when the delete log holds too many Ids for one minute", async () => {
    // Prepare: one Id per answer at most, and two hard deletes in the same minute.
    const h = await start({ settings: { reconcileEvery: "never" } });
    const org = h.emulator.org;
    await syncAndMerge(h, ["Contact"]);
    org.clock.set(T0 + 10 * MINUTE, { frozen: true });
    const gone = orgIds(h, "Contact").slice(0, 2);
    for (const id of gone) expect(org.hardDelete("Contact", id).success).toBe(true);
    await control(h, "delete-log", { maxIds: 1 });
    org.clock.set(T0 + 20 * MINUTE, { frozen: true });

    // Act
    const manifest = (await syncAndMerge(h, ["Contact"])).get("Contact");

    // Assess
    expect(manifest?.deletes?.lost).toMatch(/more Ids than one answer/);
    expect(manifest?.reconcile).toMatchObject({ reason: "getDeleted", deletes: 2 });
    expect(manifest?.warnings).toBeUndefined();
    expect(await lakeIds(h.runtime, "Contact")).toEqual(orgIds(h, "Contact"));
  });

  it("reconciles on its own when the gap since the last run outlives the recycle bin", async () => {
    // Prepare: a record soft-deleted then gone from the bin (15 days) while no sync ran.
    const h = await start({ settings: { reconcileEvery: "never" } });
    const org = h.emulator.org;
    await syncAndMerge(h, ["Account"]);
    org.clock.set(T0 + 10 * MINUTE, { frozen: true });
    const [gone] = orgIds(h, "Account");
    expect(org.delete("Account", gone as string).success).toBe(true);
    org.clock.set(T0 + 20 * DAY, { frozen: true });

    // Act
    const manifest = (await syncAndMerge(h, ["Account"])).get("Account");

    // Assess
    expect(manifest?.reconcile).toMatchObject({ reason: "gap", deletes: 1 });
    expect(manifest?.warnings ?? []).toEqual([]);
    expect(await lakeIds(h.runtime, "Account")).toEqual(orgIds(h, "Account"));
  });

  it("empties the table when the org has no record left (an empty Id snapshot)", async () => {
    // Prepare
    const h = await start();
    const org = h.emulator.org;
    await syncAndMerge(h, ["Contact"]);
    org.clock.set(T0 + 10 * MINUTE, { frozen: true });
    const all = orgIds(h, "Contact");
    for (const id of all) expect(org.hardDelete("Contact", id).success).toBe(true);
    await control(h, "recycle-bin", { empty: true, object: "Contact" });
    org.clock.set(T0 + 20 * MINUTE, { frozen: true });

    // Act
    const manifest = (await syncAndMerge(h, ["Contact"])).get("Contact");

    // Assess
    expect(manifest?.reconcile).toMatchObject({ ids: 0, deletes: all.length, refetched: 0 });
    expect(await lakeIds(h.runtime, "Contact")).toEqual([]);
  });

  it("catches the table up first when the last commit was never merged, then compares", async () => {
    // Prepare: a run committed but its merge never ran (the object failed after its commit); then
    // hard deletes the delete log cannot vouch for.
    const h = await start({ settings: { reconcileEvery: "never" } });
    const org = h.emulator.org;
    await syncAndMerge(h, ["Account"]);
    org.clock.set(T0 + 5 * MINUTE, { frozen: true });
    org.insert("Account", { Name: "Landed, never merged" }, "json");
    org.clock.set(T0 + 6 * MINUTE, { frozen: true });
    const unmerged = await driveSync(h.runtime, "never-merged", { objects: ["Account"] });
    expect(unmerged.get("Account")?.status).toBe("succeeded");
    const key = { connection: "test", object: "Account" };
    const behind = await h.runtime.state.get(key);
    expect(behind?.lake?.duckdb?.mergedSeq).toBe((behind?.commitSeq ?? 0) - 1);
    org.clock.set(T0 + 10 * MINUTE, { frozen: true });
    const gone = orgIds(h, "Account").slice(0, 2);
    for (const id of gone) expect(org.hardDelete("Account", id).success).toBe(true);
    await control(h, "recycle-bin", { empty: true, object: "Account" });
    org.clock.set(T0 + 20 * MINUTE, { frozen: true });

    // Act
    const manifest = (await syncAndMerge(h, ["Account"])).get("Account");

    // Assess: compared (nothing owed), the deletes found, and the table equals the org.
    expect(manifest?.reconcile).toMatchObject({ reason: "getDeleted", deletes: 2 });
    expect(manifest?.reconcile?.warning).toBeUndefined();
    expect((await h.runtime.state.get(key))?.reconcilePending).toBeUndefined();
    expect(await lakeIds(h.runtime, "Account")).toEqual(orgIds(h, "Account"));
  });

  it("a run that crashes mid-reconciliation commits nothing; the next run reconciles whole", async () => {
    // Prepare: lost deletes, and a first attempt that dies before the lake's comparison.
    const h = await start({ settings: { reconcileEvery: "never" } });
    const org = h.emulator.org;
    await syncAndMerge(h, ["Account"]);
    org.clock.set(T0 + 10 * MINUTE, { frozen: true });
    const gone = orgIds(h, "Account").slice(0, 2);
    for (const id of gone) expect(org.hardDelete("Account", id).success).toBe(true);
    await control(h, "recycle-bin", { empty: true, object: "Account" });
    org.clock.set(T0 + 20 * MINUTE, { frozen: true });
    const key = { connection: "test", object: "Account" };
    const before = await h.runtime.state.get(key);
    const crashed = driveSync(
      h.runtime,
      "crashing",
      { objects: ["Account"] },
      {
        beforeAction: (action) => {
          if (action === "compare") throw new Error("the Lambda died");
        },
      },
    );
    await expect(crashed).rejects.toThrow("the Lambda died");
    const after = await h.runtime.state.get(key);
    expect(after?.cursor).toBe(before?.cursor);
    expect(after?.commitSeq).toBe(before?.commitSeq);
    expect(after?.leaseHolder).toBeUndefined();

    // Act
    const manifest = (await syncAndMerge(h, ["Account"])).get("Account");

    // Assess
    expect(manifest?.reconcile).toMatchObject({ reason: "getDeleted", deletes: 2 });
    expect(await lakeIds(h.runtime, "Account")).toEqual(orgIds(h, "Account"));
  });

  it("postpones when the table cannot be caught up, says so, and owes the next run a reconciliation", async () => {
    // Prepare: a first run committed but never merged, and its commit pointer lost, so no merge can
    // catch the table up.
    const h = await start({ settings: { reconcileEvery: "never" } });
    await driveSync(h.runtime, "unmerged-1", { objects: ["Account"] });
    const pointer = h.runtime.layout.commitPointer("Account", 1);
    const saved = await h.runtime.store.get(pointer);
    await h.runtime.store.delete(pointer);
    h.emulator.org.clock.set(T0 + 20 * DAY, { frozen: true });
    const key = { connection: "test", object: "Account" };

    // Act
    const summary = (await driveSync(h.runtime, "unmerged-2", { objects: ["Account"] })).get("Account");

    // Assess
    const manifest = JSON.parse(
      new TextDecoder().decode(await h.runtime.store.get(summary?.manifestKey ?? "")),
    ) as Manifest;
    expect(manifest.reconcile?.reason).toBe("gap");
    expect(manifest.reconcile?.warning).toMatch(/merged through commit 0 of 1; the next run reconciles/);
    expect(manifest.warnings).toContain(manifest.reconcile?.warning);
    const state = await h.runtime.state.get(key);
    expect(state?.lastReconciledAt).toBe(new Date(T0).toISOString());
    expect(state?.reconcilePending).toBe("gap");

    // And the next run, no gap any more, reconciles all the same once the table can catch up.
    await h.runtime.store.put(pointer, saved ?? new Uint8Array());
    h.emulator.org.clock.set(T0 + 20 * DAY + 10 * 60_000, { frozen: true });
    const next = (await driveSync(h.runtime, "unmerged-3", { objects: ["Account"] })).get("Account");
    const owed = JSON.parse(
      new TextDecoder().decode(await h.runtime.store.get(next?.manifestKey ?? "")),
    ) as Manifest;
    expect(owed.reconcile).toMatchObject({ reason: "gap", deletes: 0 });
    expect(owed.reconcile?.warning).toBeUndefined();
    expect((await h.runtime.state.get(key))?.reconcilePending).toBeUndefined();
  });
});
