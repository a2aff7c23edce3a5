/**
 * Formula refresh and new-field backfill through the command line: `saddledata sync` runs the state
 * machine CDK synthesizes against the emulator, and `saddledata query` reads the current-state table
 * DuckDB keeps. A formula that moved with the org's clock (no `SystemModstamp` change) and a field that
 * appeared already holding values both reach the table on the next run, and only through their
 * columns.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../../emulator/index";
import type { SyncReport } from "../../../local/cli/sync-run";
import { runCli, salesforceEnv } from "./run-cli";

let emulator: Emulator;
let work: string;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  work = await mkdtemp(join(tmpdir(), "saddledata-cli-mirror-"));
});

afterAll(async () => {
  await emulator?.stop();
  await rm(work, { recursive: true, force: true });
});

const DAY = 86_400_000;

describe("saddledata sync keeps formula fields and new fields exact", () => {
  it("refreshes a TODAY() formula and backfills a field that appeared with values", async () => {
    // Prepare: a first sync of invoices (a full read), then two days pass on the org clock, which moves
    // Days_Overdue__c without touching any record; and a field appears already holding values.
    const stateDir = join(work, "state");
    const settings = join(work, "settings.json");
    await writeFile(settings, JSON.stringify({ lagSeconds: 0, lookbackSeconds: 0, reconcileEvery: "never" }));
    const env = salesforceEnv(emulator.credentials);
    const common = ["--state-dir", stateDir, "--settings", settings];
    const org = emulator.org;
    const first = await runCli(["sync", "--objects", "Invoice__c", ...common, "--json"], { env });
    expect(first.code, first.stderr).toBe(0);
    const firstReport = JSON.parse(first.stdout) as SyncReport;
    expect(firstReport.objects[0]?.partial).toBeUndefined();
    const ids = [...org.query("SELECT Id FROM Invoice__c ORDER BY Id", { includeDeleted: false }).rows()].map(
      (row) => row.id as string,
    );
    const granted = Object.fromEntries(ids.slice(0, 5).map((id, index) => [id, `Region ${index}`]));
    const added = await fetch(`${emulator.url}/__emulator/fields`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        object: "Invoice__c",
        field: { name: "Region__c", type: "string", length: 40 },
        values: granted,
      }),
    });
    expect(added.status, await added.text()).toBe(200);
    org.clock.advance(2 * DAY);
    const overdue = () =>
      Object.fromEntries(
        [
          ...org
            .query("SELECT Id, Days_Overdue__c, Region__c FROM Invoice__c", { includeDeleted: false })
            .rows(),
        ].map((row) => [row.id, [row.values[1], row.values[2]]]),
      );
    const expected = overdue();

    // Act
    const second = await runCli(["sync", "--objects", "Invoice__c", ...common, "--json"], { env });
    const table = await runCli([
      "query",
      "--state-dir",
      stateDir,
      "--json",
      "SELECT id, days_overdue__c, region__c FROM invoice__c ORDER BY id",
    ]);

    // Assess: nothing changed in the window, yet both columns equal the org for every live invoice.
    expect(second.code, second.stderr).toBe(0);
    const report = JSON.parse(second.stdout) as SyncReport;
    expect(report.objects[0]?.records).toBe(0);
    expect(report.objects[0]?.partial).toMatchObject({
      formulaRows: ids.length,
      backfilledFields: 1,
      backfillRows: ids.length,
    });
    expect(report.objects[0]?.partial?.formulaApiCalls).toBeGreaterThan(0);
    expect(table.code, table.stderr).toBe(0);
    const rows = JSON.parse(table.stdout) as Array<{
      id: string;
      days_overdue__c: number | null;
      region__c: string | null;
    }>;
    expect(rows).toHaveLength(ids.length);
    const moved = rows.filter(
      (row) => expected[row.id]?.[0] !== null && (expected[row.id]?.[0] as number) > 0,
    );
    expect(moved.length).toBeGreaterThan(0);
    expect(Object.fromEntries(rows.map((row) => [row.id, [row.days_overdue__c, row.region__c]]))).toEqual(
      expected,
    );
  }, 180_000);

  it("costs nothing more when no refresh is due", async () => {
    // Prepare
    const stateDir = join(work, "state");
    const settings = join(work, "settings.json");
    const env = salesforceEnv(emulator.credentials);
    const common = ["--state-dir", stateDir, "--settings", settings];
    emulator.org.clock.advance(60_000);

    // Act
    const third = await runCli(["sync", "--objects", "Invoice__c", ...common, "--json"], { env });

    // Assess
    expect(third.code, third.stderr).toBe(0);
    const report = JSON.parse(third.stdout) as SyncReport;
    expect(report.objects[0]?.partial).toBeUndefined();
  }, 120_000);

  it("keeps one history version per update, formula refresh and soft delete, back to back", async () => {
    // Prepare: an unpaid invoice overdue (its Days_Overdue__c moves with the clock), updated twice with a
    // sync after each, its formula refreshed two days later, then soft-deleted.
    const stateDir = join(work, "history-state");
    const settings = join(work, "history-settings.json");
    await writeFile(settings, JSON.stringify({ lagSeconds: 0, lookbackSeconds: 0, reconcileEvery: "never" }));
    const env = salesforceEnv(emulator.credentials);
    const common = ["--state-dir", stateDir, "--settings", settings];
    const org = emulator.org;
    const sync = async () => {
      const run = await runCli(["sync", "--objects", "Invoice__c", ...common, "--json"], {
        env,
        timeoutMs: 180_000,
      });
      expect(run.code, run.stderr).toBe(0);
    };
    const stampOf = (id: string) => {
      const [row] = [
        ...org
          .query(`SELECT SystemModstamp FROM Invoice__c WHERE Id = '${id}'`, { includeDeleted: true })
          .rows(),
      ];
      return new Date(row?.values[0] as number).toISOString();
    };
    const id = org.insert(
      "Invoice__c",
      { ERP_Id__c: "HIST-1", Amount__c: 100, Paid__c: false, Due_Date__c: "2020-01-01" },
      "json",
    ).id as string;
    const stamps = [stampOf(id)];
    await sync();
    for (const amount of [200, 300]) {
      org.clock.advance(60_000);
      expect(org.update("Invoice__c", { Id: id, Amount__c: amount }, "json").success).toBe(true);
      stamps.push(stampOf(id));
      org.clock.advance(60_000);
      await sync();
    }
    org.clock.advance(2 * DAY);
    await sync();
    const refreshed = stampOf(id);
    org.clock.advance(60_000);
    expect(org.delete("Invoice__c", id).success).toBe(true);
    stamps.push(stampOf(id));
    org.clock.advance(60_000);
    await sync();

    // Act
    const history = await runCli([
      "query",
      "--state-dir",
      stateDir,
      "--json",
      `SELECT amount__c AS amount, days_overdue__c AS overdue, valid_from, valid_to, is_deleted FROM invoice__c_history WHERE id = '${id}' ORDER BY valid_from`,
    ]);

    // Assess: five versions, each valid until the next begins, the refresh dated by its read.
    expect(history.code, history.stderr).toBe(0);
    const versions = JSON.parse(history.stdout) as Array<{
      amount: number;
      overdue: number;
      valid_from: string;
      valid_to: string | null;
      is_deleted: boolean;
    }>;
    expect(versions.map((version) => [version.amount, version.is_deleted])).toEqual([
      [100, false],
      [200, false],
      [300, false],
      [300, false],
      [300, true],
    ]);
    expect(versions.map((version) => version.valid_from).filter((_, index) => index !== 3)).toEqual(stamps);
    expect(versions[3]?.overdue).toBe((versions[2]?.overdue ?? 0) + 2);
    expect(Date.parse(versions[3]?.valid_from ?? "")).toBeGreaterThan(Date.parse(stamps[2] ?? ""));
    // The refresh moved no stamp: the formula changed without the record being written.
    expect(refreshed).toBe(stamps[2]);
    for (const [index, version] of versions.entries()) {
      expect(version.valid_to).toBe(versions[index + 1]?.valid_from ?? null);
    }
  }, 900_000);
});
