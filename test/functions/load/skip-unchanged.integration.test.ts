import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { RouteKind } from "../../../emulator/http/route-kind";
import { demoObjects } from "../../../emulator/org/demo-schema";
import { createOrg } from "../../../emulator/org/org";
import type { LoadSummary } from "../../../functions/core/load/load-state";
import { driveMerge, driveSync } from "../../support/drive";
import { type Harness, startHarness } from "../../support/harness";
import { driveLoad } from "./drive-load";
import { dropFile, expectFilesAgree, readResult, rowsOf } from "./load-fixtures";

/**
 * skipUnchanged: update/upsert rows are compared with their records and only those that change a field
 * are sent. The records' values come from the lake's current-state table (DuckDB here) when it is merged
 * through the last commit and fresh, at no API call; otherwise from the org by REST queries.
 */

type H = Harness & { org: ReturnType<typeof createOrg> };
let harness: H | undefined;

/**
 * How far this process's clock was moved on: the org's clock (the emulator runs here), the load's and the
 * sync's all read Date.now, so they move together, as real time passing would move them.
 */
let passed = 0;
const realNow = Date.now.bind(Date);

beforeEach(() => {
  vi.spyOn(Date, "now").mockImplementation(() => realNow() + passed);
});

afterEach(async () => {
  await harness?.stop();
  harness = undefined;
  vi.restoreAllMocks();
  passed = 0;
});

/** An empty demo-schema org on a running clock (the lake's freshness is measured against real time). */
async function start(load: Record<string, unknown> = {}): Promise<H> {
  const org = createOrg({ seed: 7, now: Date.now(), objects: demoObjects() });
  const started = await startHarness({
    emulator: { org },
    settings: { load: { retryWaitSeconds: 0, pollFirstSeconds: 1, pollMaxSeconds: 1, ...load } },
  });
  harness = Object.assign(started, { org });
  return harness;
}

/** Requests that read or write records: everything but logins, describes and limits. */
const DATA_KINDS: RouteKind[] = [
  "query",
  "queryMore",
  "recordRead",
  "recordCreate",
  "recordUpdate",
  "recordUpsert",
  "composite",
  "collections",
  "bulkQueryCreate",
  "bulkIngestCreate",
  "bulkIngestUpload",
];

function dataCalls(h: H): number {
  return DATA_KINDS.reduce((sum, kind) => sum + h.emulator.calls.count(kind), 0);
}

let syncs = 0;
/** A sync of the object, then its merge into the current-state table, as the sync state machine runs them. */
async function syncAndMerge(h: H, object: string, merge = true): Promise<void> {
  // Time passes before the sync: its window (ending on a whole second) holds the rows the load just
  // stamped, and ends more than two minutes after the load did (the table's margin for clock skew).
  passed += 200_000;
  syncs += 1;
  const runId = `sync-${syncs}`;
  const summaries = await driveSync(h.runtime, runId, { objects: [object], mode: "incremental" });
  expect(summaries.get(object)?.status).toBe("succeeded");
  if (!merge) return;
  const index = JSON.parse(
    new TextDecoder().decode(await h.runtime.store.get(h.runtime.layout.catalogIndex())),
  ) as {
    streams: Record<string, { key: string }>;
  };
  const merged = await driveMerge(h.runtime, { runId, object, catalogKey: index.streams[object]?.key ?? "" });
  expect(merged.status).toBe("done");
}

async function load(h: H, key: string, body: string, request: Record<string, unknown> = {}) {
  const file = await dropFile(h, key, body);
  const result = await driveLoad(h.runtime, { ...file, ...request });
  expect(result.error, result.error?.message).toBeUndefined();
  return result.summary as LoadSummary;
}

function expectReconciled(summary: LoadSummary): void {
  const { read, succeeded, failed, unprocessed, rejected, unchanged } = summary.counts;
  expect(succeeded + failed + unprocessed + rejected + unchanged).toBe(read);
}

function accounts(rows: number, changed: ReadonlySet<number> = new Set()): string {
  const lines = ["ERP_Id__c,Name,AnnualRevenue,NumberOfEmployees,Tier__c"];
  for (let n = 0; n < rows; n++) {
    const name = changed.has(n) ? `Account ${n} renamed` : `Account ${n}`;
    lines.push(`E-${n},${name},${n * 1000}.00,${n % 500},${["Gold", "Silver", "Bronze"][n % 3]}`);
  }
  return `${lines.join("\n")}\n`;
}

const UPSERT = "inbound/Account/upsert/ERP_Id__c";

describe("loads that send only what changed", () => {
  it("sends no row the second time an upsert file is loaded, and no API call for the data when the lake is fresh", async () => {
    // Prepare
    const h = await start({ skipUnchanged: true });
    const csv = accounts(25);
    const first = await load(h, `${UPSERT}/day-1.csv`, csv);
    await syncAndMerge(h, "Account");
    h.emulator.calls.reset();

    // Act
    const second = await load(h, `${UPSERT}/day-2.csv`, csv);

    // Assess
    expect(first.counts).toMatchObject({ read: 25, succeeded: 25, created: 25, unchanged: 0 });
    expect(first.diffSource?.source).toBe("org");
    expect(first.diffSource?.reason).toMatch(/never been synced/);
    expect(second.outcome).toBe("succeeded");
    expect(second.counts).toMatchObject({ read: 25, succeeded: 0, failed: 0, unchanged: 25 });
    expect(second.diffSource?.source).toBe("lake");
    expect(dataCalls(h)).toBe(0);
    expect(h.emulator.calls.count("collections")).toBe(0);
    expectReconciled(first);
    expectReconciled(second);
    await expectFilesAgree(h.runtime.store, second);
    const unchanged = rowsOf(await readResult(h.runtime.store, second.files.unchanged));
    expect(unchanged.map((row) => row.ERP_Id__c)).toEqual(Array.from({ length: 25 }, (_, n) => `E-${n}`));
    expect(unchanged.every((row) => /^001[A-Za-z0-9]{15}$/.test(row.sf__Id ?? ""))).toBe(true);
  }, 60_000);

  it("sends the 3 changed rows of 10,000, from the lake and, when it is stale, from the org", async () => {
    // Prepare
    const h = await start({ skipUnchanged: true });
    await load(h, `${UPSERT}/all.csv`, accounts(10_000));
    await syncAndMerge(h, "Account");
    const changed = accounts(10_000, new Set([17, 4_242, 9_999]));
    h.emulator.calls.reset();

    // Act
    const fresh = await load(h, `${UPSERT}/three-changed.csv`, changed);
    const lakeCalls = dataCalls(h);
    const sent = rowsOf(await readResult(h.runtime.store, fresh.files.success));
    const namesAfterFresh = sent.map((row) => h.org.get("Account", row.sf__Id ?? "")?.Name);
    h.runtime.config.settings.load.diffMaxLagMinutes = 0;
    h.emulator.calls.reset();
    const stale = await load(h, `${UPSERT}/three-changed-again.csv`, accounts(10_000, new Set([1, 2, 3])));

    // Assess
    expect(fresh.counts).toMatchObject({ read: 10_000, succeeded: 3, created: 0, unchanged: 9_997 });
    expect(fresh.diffSource?.source).toBe("lake");
    expect(lakeCalls).toBe(1); // the one collections call that sent the 3 rows
    expect(namesAfterFresh).toEqual(["Account 17 renamed", "Account 4242 renamed", "Account 9999 renamed"]);
    // The table still says 17, 4242 and 9999 were renamed only in the org: the org is asked, and it
    // knows; rows 1, 2, 3 change and 17, 4242, 9999 go back.
    expect(stale.diffSource?.source).toBe("org");
    expect(stale.diffSource?.reason).toMatch(/diffMaxLagMinutes: 0/);
    expect(stale.counts).toMatchObject({ read: 10_000, succeeded: 6, unchanged: 9_994 });
    // 200 keys a query, 25 queries a composite/batch call: 5,000 rows a call.
    expect(h.emulator.calls.count("composite")).toBe(2);
    expect(h.emulator.calls.count("query")).toBe(0);
    expectReconciled(fresh);
    expectReconciled(stale);
  }, 180_000);

  it("never calls a row unchanged on a table that is not merged through the last commit", async () => {
    // Prepare: the table holds the first version; a second load and a sync commit, but no merge follows.
    const h = await start();
    await load(h, `${UPSERT}/v1.csv`, accounts(5));
    await syncAndMerge(h, "Account");
    await load(h, `${UPSERT}/v2.csv`, accounts(5, new Set([0, 1])));
    await syncAndMerge(h, "Account", false);

    // Act: the file is the first version again, which the stale table would call unchanged.
    const summary = await load(h, `${UPSERT}/v1-again.csv`, accounts(5), { skipUnchanged: true });

    // Assess
    expect(summary.diffSource?.source).toBe("org");
    expect(summary.diffSource?.reason).toMatch(/merged through commit 1, not the last one \(2\)/);
    expect(summary.counts).toMatchObject({ read: 5, succeeded: 2, unchanged: 3 });
    expectReconciled(summary);
  }, 60_000);

  it("asks the org when the current-state table's file is missing, never calling its rows unchanged", async () => {
    // Prepare: the table's Parquet file is gone, and a record changed in the org since the sync.
    const h = await start({ skipUnchanged: true });
    await load(h, `${UPSERT}/v1.csv`, accounts(5));
    await syncAndMerge(h, "Account");
    for await (const info of h.runtime.store.list(h.runtime.layout.localLakeFolder("Account"))) {
      await h.runtime.store.delete(info.key);
    }
    const [changed] = rowsOf(
      await readResult(h.runtime.store, "results/inbound/Account/upsert/ERP_Id__c/v1.csv/success.csv"),
    );
    expect(h.org.update("Account", { Id: changed?.sf__Id, Name: "Renamed in the org" }, "json").success).toBe(
      true,
    );

    // Act
    const summary = await load(h, `${UPSERT}/v1-again.csv`, accounts(5));

    // Assess
    expect(summary.diffSource?.source).toBe("org");
    expect(summary.diffSource?.reason).toMatch(/the lake's lookup failed/);
    expect(summary.counts).toMatchObject({ read: 5, succeeded: 1, unchanged: 4 });
    expect(h.org.get("Account", changed?.sf__Id ?? "")?.Name).toBe("Account 0");
    expectReconciled(summary);
  }, 60_000);

  it("asks the org after a load the table has not seen, so a value put back is sent", async () => {
    // Prepare: v1 loaded and synced; v2 renames two records after the sync, with the table fresh.
    const h = await start({ skipUnchanged: true });
    await load(h, `${UPSERT}/v1.csv`, accounts(5));
    await syncAndMerge(h, "Account");
    const v2 = await load(h, `${UPSERT}/v2.csv`, accounts(5, new Set([0, 1])));

    // Act: v1 again, which the table (still v1) would call unchanged.
    const back = await load(h, `${UPSERT}/v1-again.csv`, accounts(5));

    // Assess
    expect(v2.diffSource?.source).toBe("lake");
    expect(v2.counts).toMatchObject({ succeeded: 2, unchanged: 3 });
    expect(back.diffSource?.source).toBe("org");
    expect(back.diffSource?.reason).toMatch(/v2\.csv\) ended at .*, after the table's window/);
    expect(back.counts).toMatchObject({ read: 5, succeeded: 2, unchanged: 3 });
    const names = rowsOf(await readResult(h.runtime.store, back.files.success)).map(
      (row) => h.org.get("Account", row.sf__Id ?? "")?.Name,
    );
    expect(names).toEqual(["Account 0", "Account 1"]);
  }, 60_000);

  it("compares by Salesforce type: decimals by value, datetimes by instant, multi-selects as sets", async () => {
    // Prepare
    const h = await start();
    const key = "inbound/Invoice__c/upsert/ERP_Id__c";
    await load(
      h,
      `${key}/v1.csv`,
      [
        "ERP_Id__c,Amount__c,Due_Date__c,Paid__c,Tags__c,Issued_At__c,Notes__c",
        "INV-1,1250.50,2026-07-01,true,Priority;Export,2026-06-01T10:00:00Z,one",
        "INV-2,99,2026-08-15,false,,2026-06-02T08:30:00.000+02:00,",
      ].join("\n"),
    );
    await syncAndMerge(h, "Invoice__c");
    const same = [
      "ERP_Id__c,Amount__c,Due_Date__c,Paid__c,Tags__c,Issued_At__c,Notes__c",
      "INV-1,1250.5,2026-07-01,1,Export;Priority,2026-06-01T12:00:00+02:00,one",
      "INV-2,99.000,2026-08-15,false,#N/A,2026-06-02T06:30:00Z,#N/A",
      "INV-3,5,2026-09-01,false,,,new",
    ].join("\n");

    // Act
    const summary = await load(h, `${key}/v2.csv`, same, { skipUnchanged: true });

    // Assess
    expect(summary.diffSource?.source).toBe("lake");
    expect(summary.counts).toMatchObject({ read: 3, succeeded: 1, created: 1, unchanged: 2 });
  }, 60_000);

  it("compares a file validated over many invocations, each one batch, and sends the changed rows once", async () => {
    // Prepare
    const h = await start();
    await load(h, `${UPSERT}/base.csv`, accounts(3_000));
    const file = await dropFile(h, `${UPSERT}/sliced.csv`, accounts(3_000, new Set([0, 1_500, 2_999])));

    // Act: no time left after one step, so every invocation reads one batch and stops.
    const result = await driveLoad(h.runtime, { ...file, skipUnchanged: true }, { remainingMs: () => 0 });

    // Assess
    expect(result.error).toBeUndefined();
    const submits = result.actions.filter((action) => action === "submit").length;
    expect(submits).toBeGreaterThan(2);
    expect(result.summary?.counts).toMatchObject({ read: 3_000, succeeded: 3, unchanged: 2_997 });
    const sent = rowsOf(await readResult(h.runtime.store, result.summary?.files.success ?? ""));
    expect(sent.map((row) => row.ERP_Id__c)).toEqual(["E-0", "E-1500", "E-2999"]);
    expectReconciled(result.summary as LoadSummary);
    await expectFilesAgree(h.runtime.store, result.summary);
  }, 120_000);

  it("sends every row when skipUnchanged is off", async () => {
    // Prepare
    const h = await start();
    await load(h, `${UPSERT}/a.csv`, accounts(4));
    await syncAndMerge(h, "Account");

    // Act
    const summary = await load(h, `${UPSERT}/b.csv`, accounts(4));

    // Assess
    expect(summary.counts).toMatchObject({ read: 4, succeeded: 4, unchanged: 0 });
    expect(summary.diffSource).toBeUndefined();
  }, 60_000);
});
