import { rm } from "node:fs/promises";
import { afterAll, describe, expect, it } from "vitest";
import { readFailedRows } from "../../../local/demo/checks";
import type { DemoReport } from "../../../local/demo/demo";
import { queryRows, readLandedRecords, readManifest } from "../../../local/demo/landed";
import { startLocalEnvironment } from "../../../local/environment";
import { runCli } from "./run-cli";

let stateDir: string | undefined;

afterAll(async () => {
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

describe("saddledata demo", () => {
  it("runs the whole connector, exits 0, and its figures match what landed in the state folder", async () => {
    // Act
    const result = await runCli(["demo", "--json", "--keep"], { timeoutMs: 60_000 });

    // Assess: the process exited by itself (nothing left running) with a JSON summary.
    // On failure the message carries the checks that failed (the JSON summary on stdout).
    expect(result.code, `${result.stderr}\n${result.stdout.slice(-6000)}`).toBe(0);
    const report = JSON.parse(result.stdout) as DemoReport;
    stateDir = report.stateDir;
    expect(report.ok).toBe(true);
    expect(report.kept).toBe(true);
    expect(report.checks.map((check) => [check.name, check.ok])).toEqual([
      ["full sync", true],
      ["incremental sync", true],
      ["lake", true],
      ["load", true],
    ]);
    // The query shown at the end: the top accounts by annual revenue, from the current-state table.
    expect(report.lake.columns).toEqual(["name", "industry", "annualrevenue"]);
    expect(report.lake.cells).toHaveLength(5);
    const revenues = report.lake.cells.map((row) => Number(row[2]));
    expect(revenues).toEqual([...revenues].sort((a, b) => b - a));

    // Assess: read the kept state folder's S3 through the adapters and compare.
    const env = await startLocalEnvironment({ directory: report.stateDir, connection: "demo" });
    try {
      const store = env.runtime.store;
      let fullRecords = 0;
      for (const object of report.fullSync.objects) {
        const manifest = await readManifest(store, object.manifestKey as string);
        expect(manifest.mode).toBe("full_refresh");
        expect(manifest.totals.records).toBe(object.records);
        expect((await readLandedRecords(store, manifest)).length).toBe(object.records);
        fullRecords += manifest.totals.records;
      }
      expect(fullRecords).toBe(report.fullSync.totals.records);
      expect(fullRecords).toBeGreaterThan(1000);

      const changed = Object.values(report.changes).reduce(
        (sum, change) => sum + change.inserted.length + change.updated.length + change.deleted.length,
        0,
      );
      let incrementalRecords = 0;
      const deletedIds = Object.values(report.changes).flatMap((change) => change.deleted);
      for (const object of report.incrementalSync.objects) {
        const manifest = await readManifest(store, object.manifestKey as string);
        expect(manifest.mode).toBe("incremental");
        const records = queryRows(await readLandedRecords(store, manifest));
        incrementalRecords += records.length;
        for (const record of records) {
          expect(record.IsDeleted, String(record.Id)).toBe(deletedIds.includes(String(record.Id)));
        }
      }
      expect(incrementalRecords).toBe(changed);
      expect(report.incrementalSync.totals.records).toBe(changed);

      const { load } = report;
      expect(load.status).toBe("partial");
      const summary = JSON.parse(
        new TextDecoder().decode(await store.get(load.files?.summary as string)),
      ) as {
        counts: Record<string, number>;
      };
      expect(summary.counts).toEqual(load.counts);
      expect(load.counts).toMatchObject({ read: 5, succeeded: 4, failed: 1, rejected: 0 });
      const failed = await readFailedRows(store, load.files?.failed as string);
      expect(failed.map((row) => row.values.ERP_Id__c)).toEqual(["ERP-90003"]);
      expect(failed[0]?.error).toMatch(/^REQUIRED_FIELD_MISSING: /);
      expect(report.results).toEqual(Object.values(load.files ?? {}));

      expect(report.apiCalls.total).toBe(
        report.apiCalls.fullSync + report.apiCalls.incrementalSync + report.apiCalls.load,
      );
      expect(report.apiCalls.fullSync).toBe(report.fullSync.totals.apiCalls);
      expect(report.apiCalls.incrementalSync).toBe(report.incrementalSync.totals.apiCalls);
    } finally {
      await env.stop();
    }
  });
});
