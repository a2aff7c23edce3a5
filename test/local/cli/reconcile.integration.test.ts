/**
 * Id reconciliation through the command line: `saddledata sync` runs the state machine CDK synthesizes
 * (its "Compare Ids in lake" task included) against the emulator, and `saddledata query` reads the
 * current-state table DuckDB keeps: hard deletes the org's delete log lost (the recycle bin emptied
 * through the emulator's control API) leave the table, which equals the org's live Ids.
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
  work = await mkdtemp(join(tmpdir(), "saddledata-cli-reconcile-"));
});

afterAll(async () => {
  await emulator?.stop();
  await rm(work, { recursive: true, force: true });
});

describe("saddledata sync reconciles Ids", () => {
  it("removes hard deletes getDeleted cannot see from the current-state table", async () => {
    // Prepare: a first sync; then three accounts hard-deleted and the recycle bin emptied.
    const stateDir = join(work, "state");
    const settings = join(work, "settings.json");
    await writeFile(settings, JSON.stringify({ lagSeconds: 0, lookbackSeconds: 0 }));
    const env = salesforceEnv(emulator.credentials);
    const common = ["--state-dir", stateDir, "--settings", settings];
    const org = emulator.org;
    const first = await runCli(["sync", "--objects", "Account", ...common, "--json"], { env });
    expect(first.code, first.stderr).toBe(0);
    const gone = [
      ...org.query("SELECT Id FROM Account ORDER BY Name LIMIT 3", { includeDeleted: false }).rows(),
    ].map((row) => row.id as string);
    for (const id of gone) expect(org.hardDelete("Account", id).success).toBe(true);
    const emptied = await fetch(`${emulator.url}/__emulator/recycle-bin`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ empty: true, object: "Account" }),
    });
    expect(emptied.status).toBe(200);
    org.clock.advance(2_000);

    // Act
    const second = await runCli(["sync", "--objects", "Account", ...common, "--json"], { env });
    const left = await runCli([
      "query",
      "--state-dir",
      stateDir,
      "--json",
      `SELECT count(*) AS n, count(*) FILTER (WHERE id IN (${gone.map((id) => `'${id}'`).join(", ")})) AS gone FROM account`,
    ]);

    // Assess
    expect(second.code, second.stderr).toBe(0);
    const report = JSON.parse(second.stdout) as SyncReport;
    expect(report.objects[0]?.reconciled).toMatchObject({ deletes: 3, refetched: 0 });
    expect(report.objects[0]?.reconciled?.apiCalls).toBeGreaterThan(0);
    expect(left.code, left.stderr).toBe(0);
    expect(JSON.parse(left.stdout)).toEqual([{ n: org.count("Account"), gone: 0 }]);
  });
});
