import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../../emulator/index";
import type { StatusReport } from "../../../local/cli/status-report";
import type { SyncReport } from "../../../local/cli/sync-run";
import { runCli, salesforceEnv } from "./run-cli";

let emulator: Emulator;
let work: string;
let stateDir: string;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  work = await mkdtemp(join(tmpdir(), "saddledata-cli-query-"));
  stateDir = join(work, "state");
  const settings = join(work, "settings.json");
  await writeFile(settings, JSON.stringify({ lagSeconds: 0, lookbackSeconds: 0 }));
  const sync = await runCli(
    ["sync", "--objects", "Account,Invoice__c", "--state-dir", stateDir, "--settings", settings, "--json"],
    { env: salesforceEnv(emulator.credentials) },
  );
  expect(sync.code, sync.stderr).toBe(0);
  const report = JSON.parse(sync.stdout) as SyncReport;
  expect(report.lake).toEqual([
    { object: "Account", mergedSeq: 1, runs: 1 },
    { object: "Invoice__c", mergedSeq: 1, runs: 1 },
  ]);
}, 120_000);

afterAll(async () => {
  await emulator?.stop();
  await rm(work, { recursive: true, force: true });
});

describe("saddledata query", () => {
  it("prints a table of rows over the current state after a sync", async () => {
    // Act
    const result = await runCli([
      "query",
      "--state-dir",
      stateDir,
      "SELECT count(*) AS n, count(DISTINCT id) AS ids FROM account",
    ]);

    // Assess
    expect(result.code, result.stderr).toBe(0);
    const live = String(emulator.org.count("Account"));
    const [header, row, footer, end] = result.stdout.split("\n");
    expect(header?.trim().split(/\s+/)).toEqual(["n", "ids"]);
    expect(row?.trim().split(/\s+/)).toEqual([live, live]);
    expect([footer, end]).toEqual(["(1 row)", ""]);
    expect(result.stderr).toBe("");
    // The command's end trimmed the lake cache: its scratch files and DuckDB's spill folders are gone.
    expect(existsSync(join(stateDir, "lake-cache"))).toBe(true);
    expect(existsSync(join(stateDir, "lake-cache", "scratch"))).toBe(false);
  });

  it("prints --json rows with exact numbers, ISO timestamps and the change log's run columns", async () => {
    // Act
    const result = await runCli([
      "query",
      "--state-dir",
      stateDir,
      "--json",
      `SELECT c.id, c.annualrevenue, c.createddate, c._run_id = c.run AS same_run, 12345678901234567::BIGINT AS big
       FROM account_changes AS c JOIN account AS a ON a.id = c.id
       WHERE c.annualrevenue IS NOT NULL ORDER BY c.annualrevenue DESC, c.id LIMIT 2`,
    ]);

    // Assess
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('"big": 12345678901234567');
    const rows = JSON.parse(result.stdout) as Array<Record<string, unknown>>;
    expect(rows).toHaveLength(2);
    const top = [
      ...emulator.org
        .query(
          "SELECT Id, AnnualRevenue, CreatedDate FROM Account WHERE AnnualRevenue != null ORDER BY AnnualRevenue DESC, Id LIMIT 1",
          { includeDeleted: false },
        )
        .rows(),
    ][0];
    expect(rows[0]).toEqual({
      id: top?.id,
      annualrevenue: top?.values[1],
      createddate: new Date(top?.values[2] as number).toISOString(),
      same_run: true,
      big: Number("12345678901234567"),
    });
  });

  it("answers bad SQL with DuckDB's message and exit status 2", async () => {
    // Act
    const result = await runCli(["query", "--state-dir", stateDir, "SELECT nope FROM account"]);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^saddledata: Binder Error: Referenced column "nope" not found/);
    expect(result.stderr).toContain("(tables: account, invoice__c, each with a change log <table>_changes)");
  });

  it("status shows how far each current-state table is merged", async () => {
    // Act
    const json = await runCli(["status", "--state-dir", stateDir, "--json"]);
    const text = await runCli(["status", "--state-dir", stateDir]);

    // Assess
    expect(json.code, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout) as StatusReport;
    expect(report.objects.find((object) => object.object === "Account")?.lake).toMatchObject({
      commits: 1,
      merged: 1,
    });
    expect(text.stdout).toMatch(/^\s*Account .* merged 1\/1 /m);
  });

  it("says to sync first when the lake is empty", async () => {
    // Act
    const result = await runCli(["query", "--state-dir", join(work, "empty"), "SELECT 1"]);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("is empty: no object has a committed run. Run saddledata sync first");
  });
});
