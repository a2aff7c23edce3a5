import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../../emulator/index";
import type { DiscoverReport } from "../../../local/cli/discover-report";
import type { StatusReport } from "../../../local/cli/status-report";
import type { SyncReport } from "../../../local/cli/sync-run";
import { readManifest } from "../../../local/demo/landed";
import { startLocalEnvironment } from "../../../local/environment";
import { runCli, salesforceEnv } from "./run-cli";

let emulator: Emulator;
let work: string;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  work = await mkdtemp(join(tmpdir(), "saddledata-cli-sync-"));
});

afterAll(async () => {
  await emulator?.stop();
  await rm(work, { recursive: true, force: true });
});

describe("saddledata sync and status", () => {
  it("syncs with credentials from the environment, shows the cursor, and continues incrementally", async () => {
    // Prepare: no lag or lookback, so the second run's window holds just the changes.
    const stateDir = join(work, "state");
    const settings = join(work, "settings.json");
    await writeFile(settings, JSON.stringify({ lagSeconds: 0, lookbackSeconds: 0 }));
    const env = salesforceEnv(emulator.credentials);
    const common = ["--state-dir", stateDir, "--settings", settings, "--json"];
    const org = emulator.org;

    // Act: first sync, then status.
    const first = await runCli(["sync", "--objects", "Account,Invoice__c", ...common], { env });
    const status = await runCli(["status", "--state-dir", stateDir, "--json"]);

    // Assess
    expect(first.code, first.stderr).toBe(0);
    const firstReport = JSON.parse(first.stdout) as SyncReport;
    expect(firstReport.objects.map((object) => [object.object, object.records])).toEqual([
      ["Account", org.count("Account")],
      ["Invoice__c", org.count("Invoice__c")],
    ]);
    // Each object ran as a child execution with its own history; the run's stays small.
    expect(firstReport.history.run).toBe(22);
    for (const object of firstReport.objects)
      expect(object.historyEvents, object.object).toBeGreaterThanOrEqual(23);
    expect(firstReport.history.largestObject?.events).toBe(
      Math.max(...firstReport.objects.map((object) => object.historyEvents ?? 0)),
    );
    expect(status.code, status.stderr).toBe(0);
    const statusReport = JSON.parse(status.stdout) as StatusReport;
    const account = statusReport.objects.find((object) => object.object === "Account");
    const accountCursor = firstReport.objects.find((object) => object.object === "Account")?.cursor;
    expect(accountCursor).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(account).toMatchObject({
      cursor: accountCursor,
      cursorField: "SystemModstamp",
      lastRunId: firstReport.runId,
      lastStatus: "succeeded",
      lastManifestKey: firstReport.objects[0]?.manifestKey,
    });
    expect(account?.lease).toBeUndefined();
    expect(statusReport.catalog?.objects).toBe(org.listObjects().length);

    // Prepare: change two accounts; the org's clock moves past the second they were changed in.
    const inserted = org.insert("Account", { Name: "Saddle Test Ltd" }, "json").id as string;
    const [existing] = [
      ...org.query("SELECT Id FROM Account ORDER BY Name LIMIT 1", { includeDeleted: false }).rows(),
    ];
    org.update("Account", { Id: existing?.id, Phone: "+1 555 0123" }, "json");
    org.clock.advance(2_000);

    // Act: the second sync of the same state folder.
    const second = await runCli(["sync", "--objects", "Account", ...common], { env });

    // Assess: incremental from the first cursor, exactly the two changed rows.
    expect(second.code, second.stderr).toBe(0);
    const secondReport = JSON.parse(second.stdout) as SyncReport;
    const secondAccount = secondReport.objects[0];
    expect(secondAccount).toMatchObject({
      object: "Account",
      mode: "incremental",
      status: "succeeded",
      records: 2,
    });
    const local = await startLocalEnvironment({ directory: stateDir });
    try {
      const manifest = await readManifest(local.runtime.store, secondAccount?.manifestKey as string);
      expect(manifest.mode).toBe("incremental");
      expect(manifest.cursorBefore).toBe(accountCursor);
      expect(manifest.window.start).toBe(accountCursor);
      expect(manifest.totals.records).toBe(2);
      expect(secondReport.manifests).toEqual([secondAccount?.manifestKey]);
      expect(secondReport.summaryKey).toBe(`runs/${secondReport.runId}/summary.json`);
      const runSummary = await local.runtime.store.get(secondReport.summaryKey as string);
      expect(JSON.parse(new TextDecoder().decode(runSummary))).toMatchObject({
        runId: secondReport.runId,
        manifests: [secondAccount?.manifestKey],
      });
    } finally {
      await local.stop();
    }
    expect(inserted).toMatch(/^001/);
  });

  it("prints readable text by default and no secret anywhere", async () => {
    // Prepare
    const env = salesforceEnv(emulator.credentials);

    // Act
    const result = await runCli(["sync", "--objects", "Invoice__c", "--state-dir", join(work, "text")], {
      env,
    });

    // Assess
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^Sync sync-\S+: succeeded \(catalog v1\)/);
    expect(result.stdout).toMatch(/Invoice__c\s+incremental\s+succeeded\s+60\s+1\s/);
    expect(result.stdout).toContain("data/Invoice__c/dt=");
    for (const secret of [emulator.credentials.password, emulator.credentials.clientSecret]) {
      expect(`${result.stdout}${result.stderr}`).not.toContain(secret);
    }
  });

  it("discover writes the catalog and shows what a sync with the settings would take", async () => {
    // Prepare
    const settings = join(work, "discover-settings.json");
    await writeFile(
      settings,
      JSON.stringify({ objects: ["Account", "*__c"], modes: { Invoice__c: "full_refresh" } }),
    );
    const env = salesforceEnv(emulator.credentials);

    // Act
    const result = await runCli(
      ["discover", "--settings", settings, "--state-dir", join(work, "discover"), "--json"],
      {
        env,
      },
    );

    // Assess
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as DiscoverReport;
    expect(report.catalogKey).toBe("catalog/index.json");
    expect(report.objects.map((object) => object.object)).toEqual(
      emulator.org
        .listObjects()
        .map((object) => object.name)
        .sort(),
    );
    const byName = new Map(report.objects.map((object) => [object.object, object]));
    expect(byName.get("Account")).toMatchObject({
      syncMode: "incremental",
      cursorField: "SystemModstamp",
      api: "bulk",
    });
    expect(byName.get("Invoice__c")?.syncMode).toBe("full_refresh");
    expect(byName.get("Contact")?.syncMode).toBeNull();
    expect(byName.get("Attachment")).toMatchObject({
      api: "rest",
      apiReason: expect.stringContaining("base64"),
    });
    expect(report.changes.objectsAdded).toHaveLength(report.objects.length);
  });

  it("exits 1 when an object fails, commits the others, and status shows who holds the lease", async () => {
    // Prepare: another run holds Invoice__c's lease in this state folder.
    const stateDir = join(work, "lease");
    const local = await startLocalEnvironment({ directory: stateDir });
    try {
      await local.runtime.state.acquireLease(
        { connection: "local", object: "Invoice__c" },
        "other-run",
        10 * 60_000,
        Date.now(),
      );
    } finally {
      await local.stop();
    }
    const env = salesforceEnv(emulator.credentials);

    // Act
    const sync = await runCli(["sync", "--objects", "Account,Invoice__c", "--state-dir", stateDir], { env });
    const status = await runCli(["status", "--state-dir", stateDir]);

    // Assess
    expect(sync.code, sync.stderr).toBe(1);
    expect(sync.stdout).toMatch(/^Sync \S+: failed/);
    expect(sync.stdout).toMatch(/Account\s+incremental\s+succeeded/);
    expect(sync.stdout).toMatch(/Invoice__c\s+incremental\s+failed/);
    expect(sync.stdout).toContain(
      "Invoice__c: LeaseConflictError: Invoice__c is being synced by run other-run",
    );
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/Account\s+succeeded\s+\d{4}-/);
    expect(status.stdout).toMatch(/Invoice__c\s+running\s+-\s+other-run\s+held by other-run until /);
  });
});
