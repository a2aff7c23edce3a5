/**
 * What Id reconciliation costs at size: an object of 1,000,000 records in the emulator, synced and
 * merged into the local lake, then a reconciling run. Its Id snapshot is one Bulk job (create, polls,
 * one results page, delete), whatever the object's size, and the table still equals the org's live Ids.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { Manifest } from "../../../functions/core/extract/manifest";
import { openRuntimeLake } from "../../../local/lake/local-lake";
import { driveMerge, driveSync } from "../../support/drive";
import { type Harness, startDemoHarness } from "../../support/harness";

const T0 = Date.parse("2026-06-01T12:00:00.000Z");
const DAY = 86_400_000;
const RECORDS = 1_000_000;

let harness: Harness | undefined;

afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

async function syncAndMerge(h: Harness, runId: string, object: string): Promise<Manifest> {
  const summary = (await driveSync(h.runtime, runId, { objects: [object] })).get(object);
  expect(summary?.status, `${object} synced`).toBe("succeeded");
  const manifest = JSON.parse(
    new TextDecoder().decode(await h.runtime.store.get(summary?.manifestKey ?? "")),
  ) as Manifest;
  const merged = await driveMerge(h.runtime, { runId, object, catalogKey: manifest.catalogKey });
  expect(merged.status).toBe("done");
  return manifest;
}

describe("Id reconciliation of a million records", () => {
  it("costs a single Bulk job and leaves the table equal to the org", async () => {
    // Prepare: a narrow custom object of a million records, read whole and merged; then three hard
    // deletes and the recycle bin emptied (the delete log cannot vouch for the next window).
    const h = await startDemoHarness(T0, { settings: { reconcileEvery: "never" } });
    harness = h;
    const org = h.emulator.org;
    org.addObject({ name: "Ledger__c", fields: [] });
    org.generate("Ledger__c", RECORDS, { from: T0 - 30 * DAY, to: T0 - DAY });
    await syncAndMerge(h, "million-1", "Ledger__c");
    org.clock.set(T0 + DAY, { frozen: true });
    const gone = [...org.query("SELECT Id FROM Ledger__c LIMIT 3", { includeDeleted: false }).rows()].map(
      (row) => row.id,
    );
    for (const id of gone) expect(org.hardDelete("Ledger__c", id).success).toBe(true);
    org.emptyRecycleBin("Ledger__c");
    org.clock.set(T0 + DAY + 60_000, { frozen: true });
    const bulkKinds = ["bulkQueryCreate", "bulkQueryPoll", "bulkQueryResults", "bulkQueryDelete"] as const;
    const calls = () => Object.fromEntries(bulkKinds.map((kind) => [kind, h.emulator.calls.count(kind)]));
    const before = calls();

    // Act
    const manifest = await syncAndMerge(h, "million-2", "Ledger__c");

    // Assess: one Bulk job for the snapshot (the window itself went through one REST page).
    expect(manifest.reconcile).toMatchObject({
      reason: "getDeleted",
      ids: RECORDS - gone.length,
      idParts: 1,
      deletes: gone.length,
      refetched: 0,
    });
    const after = calls();
    const spent = Object.fromEntries(
      bulkKinds.map((kind) => [kind, (after[kind] ?? 0) - (before[kind] ?? 0)]),
    );
    expect(spent).toMatchObject({ bulkQueryCreate: 1, bulkQueryResults: 1, bulkQueryDelete: 1 });
    expect(manifest.salesforceJobIds).toHaveLength(1);
    // Its calls are that job's: create, its polls (as many as the org takes to run it), one page, delete.
    expect(manifest.reconcile?.apiCalls).toBe(3 + (spent.bulkQueryPoll ?? 0));
    const lake = await openRuntimeLake(h.runtime);
    try {
      const [row] = (
        await lake.connection.runAndReadAll(
          `SELECT count(*) AS n, count(*) FILTER (WHERE id IN (${gone.map((id) => `'${id}'`).join(", ")})) AS gone FROM "ledger__c"`,
        )
      ).getRowObjectsJS();
      expect(row).toEqual({ n: BigInt(RECORDS - gone.length), gone: 0n });
    } finally {
      lake.close();
    }
  }, 600_000);
});
