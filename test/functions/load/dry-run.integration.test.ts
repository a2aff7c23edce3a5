import { afterEach, describe, expect, it } from "vitest";
import type { LoadSummary } from "../../../functions/core/load/load-state";
import { driveLoad } from "./drive-load";
import { dropFile, insertDirect, readResult, rowsOf, startLoadHarness } from "./load-fixtures";

/**
 * A dry run validates and plans a file — which rows would create, update, leave unchanged or miss —
 * into plan.json and plan.csv, sends nothing and takes no claim: the same file loads for real after.
 */

type LoadHarness = Awaited<ReturnType<typeof startLoadHarness>>;
let harness: LoadHarness | undefined;

afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

const DML_KINDS = [
  "collections",
  "bulkIngestCreate",
  "bulkIngestUpload",
  "recordCreate",
  "recordUpdate",
] as const;

function dmlCalls(h: LoadHarness): number {
  return DML_KINDS.reduce((sum, kind) => sum + h.emulator.calls.count(kind), 0);
}

async function readJson<T>(h: LoadHarness, key: string | undefined): Promise<T> {
  const bytes = await h.runtime.store.get(key ?? "");
  if (!bytes) throw new Error(`nothing at ${key}`);
  return JSON.parse(new TextDecoder().decode(bytes)) as T;
}

interface PlanJson {
  dryRun: boolean;
  api: string;
  calls?: number;
  jobs?: number;
  rows: { read: number; rejected: number; wouldSend: number };
  fates: Record<string, number>;
  diffSource?: { source: string; reason: string };
}

describe("dry runs", () => {
  it("plans an upsert row by row, sends nothing, and leaves the file to be loaded for real", async () => {
    // Prepare
    const h = await startLoadHarness();
    harness = h;
    const same = insertDirect(h.org, "Account", { Name: "Same", ERP_Id__c: "E-1", NumberOfEmployees: 10 });
    const other = insertDirect(h.org, "Account", { Name: "Before", ERP_Id__c: "E-2", NumberOfEmployees: 5 });
    const csv = [
      "ERP_Id__c,Name,NumberOfEmployees",
      "E-1,Same,10",
      "E-2,After,5",
      "E-3,New,1",
      "E-4,,oops", // invalid number: rejected
    ].join("\n");
    const file = await dropFile(h, "inbound/Account/upsert/ERP_Id__c/accounts.csv", csv);
    const accountsBefore = h.org.count("Account");

    // Act
    const dry = await driveLoad(h.runtime, { ...file, dryRun: true });
    const dmlAfterDryRun = dmlCalls(h);
    const real = await driveLoad(h.runtime, file);

    // Assess
    expect(dry.error).toBeUndefined();
    const summary = dry.summary as LoadSummary;
    expect(summary.outcome).toBe("planned");
    expect(summary.dryRun).toBe(true);
    expect(summary.planned).toEqual({ create: 1, update: 1, unchanged: 1, miss: 0, delete: 0 });
    expect(summary.counts).toMatchObject({ read: 4, rejected: 1, succeeded: 0 });
    expect(summary.diffSource?.source).toBe("org");
    expect(dmlAfterDryRun).toBe(0);
    expect(summary.resultsFolder).toBe("results/inbound/Account/upsert/ERP_Id__c/accounts.csv/dry-run/");
    const plan = await readJson<PlanJson>(h, summary.files.plan);
    expect(plan).toMatchObject({
      dryRun: true,
      api: "collections",
      calls: 1,
      rows: { read: 4, rejected: 1, wouldSend: 3 },
      fates: { create: 1, update: 1, unchanged: 1, miss: 0, delete: 0 },
    });
    const rows = rowsOf(await readResult(h.runtime.store, summary.files.planCsv ?? ""));
    expect(rows.map((row) => [row.line, row.action, row.sf__Id, row.changed, row.ERP_Id__c])).toEqual([
      ["2", "unchanged", same, "", "E-1"],
      ["3", "update", other, "Name", "E-2"],
      ["4", "create", "", "", "E-3"],
    ]);
    expect((await readResult(h.runtime.store, summary.files.rejected)).rows).toHaveLength(1);
    // Every file the summary names exists; nothing was sent, so all but rejected.csv are header-only.
    for (const file of ["success", "failed", "unprocessed", "unchanged"] as const) {
      expect((await readResult(h.runtime.store, summary.files[file])).rows).toEqual([]);
    }
    // The claim was not taken: the same file version loads for real.
    expect(real.duplicate).toBeUndefined();
    expect(real.summary?.counts).toMatchObject({ read: 4, succeeded: 3, created: 1, rejected: 1 });
    expect(h.org.count("Account")).toBe(accountsBefore + 1);
    expect(h.org.get("Account", other)?.Name).toBe("After");
  }, 60_000);

  it("treats a file under a dry-run/ folder as a dry run, and says which Ids an update or delete misses", async () => {
    // Prepare
    const h = await startLoadHarness();
    harness = h;
    const kept = insertDirect(h.org, "Account", { Name: "Kept" });
    const gone = insertDirect(h.org, "Account", { Name: "Gone" });
    expect(h.org.delete("Account", gone).success).toBe(true);
    const update = await dropFile(
      h,
      "inbound/Account/update/dry-run/names.csv",
      `Id,Name\n${kept},Kept\n${gone},Back\n`,
    );
    const remove = await dropFile(h, "inbound/Account/delete/dry-run/ids.csv", `Id\n${kept}\n${gone}\n`);

    // Act
    const updated = await driveLoad(h.runtime, update);
    const deleted = await driveLoad(h.runtime, remove);

    // Assess
    expect(updated.summary?.outcome).toBe("planned");
    expect(updated.summary?.resultsFolder).toBe("results/inbound/Account/update/dry-run/names.csv/");
    expect(updated.summary?.planned).toMatchObject({ unchanged: 1, miss: 1 });
    expect(deleted.summary?.planned).toMatchObject({ delete: 1, miss: 1 });
    expect(dmlCalls(h)).toBe(0);
    expect(h.org.get("Account", kept)?.Name).toBe("Kept");
    const claim = await h.runtime.state.getFile({
      bucket: update.bucket,
      key: update.key,
      version: updated.summary?.version ?? "",
    });
    expect(claim).toBeUndefined();
  }, 60_000);

  it("rejects a dry run's file whole like a load's, and takes no claim", async () => {
    // Prepare
    const h = await startLoadHarness();
    harness = h;
    const file = await dropFile(h, "inbound/Account/insert/dry-run/bad.csv", "Nmae\nAcme\n");

    // Act
    const result = await driveLoad(h.runtime, file);

    // Assess
    expect(result.summary?.outcome).toBe("rejected");
    expect(result.summary?.problem?.message).toMatch(/Nmae/);
    const claim = await h.runtime.state.getFile({ ...file, version: result.summary?.version ?? "" });
    expect(claim).toBeUndefined();
  }, 60_000);
});
