import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../../emulator/index";
import type { LoadReport } from "../../../local/cli/load-run";
import { runCli, salesforceEnv } from "./run-cli";

let emulator: Emulator;
let work: string;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  work = await mkdtemp(join(tmpdir(), "saddledata-cli-dry-run-"));
});

afterAll(async () => {
  await emulator?.stop();
  await rm(work, { recursive: true, force: true });
});

const ACCOUNTS = "ERP_Id__c,Name,NumberOfEmployees\nCLI-1,Dry One,10\nCLI-2,Dry Two,20\nCLI-3,Dry Three,30\n";

function named(prefix: string): number {
  return emulator.org.query(`SELECT Id FROM Account WHERE Name LIKE '${prefix}%'`, { includeDeleted: false })
    .totalSize;
}

describe("saddledata load --dry-run and --skip-unchanged", () => {
  it("plans a file without sending it, then sends only the rows that change", async () => {
    // Prepare
    const stateDir = join(work, "state");
    const file = join(work, "accounts.csv");
    await writeFile(file, ACCOUNTS);
    const env = salesforceEnv(emulator.credentials);
    const upsert = ["--object", "Account", "--operation", "upsert", "--external-id", "ERP_Id__c"];
    const common = ["--state-dir", stateDir, "--json"];

    // Act
    const dry = await runCli(["load", "--file", file, ...upsert, "--dry-run", ...common], { env });
    const afterDryRun = named("Dry ");
    const first = await runCli(["load", "--file", file, ...upsert, "--skip-unchanged", ...common], { env });
    await writeFile(file, ACCOUNTS.replace("Dry Two", "Dry Two renamed"));
    const second = await runCli(
      ["load", "--file", file, ...upsert, "--skip-unchanged", "--state-dir", stateDir],
      {
        env,
      },
    );

    // Assess
    expect(dry.code, dry.stderr).toBe(0);
    const planned = JSON.parse(dry.stdout) as LoadReport;
    expect(planned).toMatchObject({
      status: "planned",
      key: "inbound/Account/upsert/ERP_Id__c/dry-run/accounts.csv",
      planned: { create: 3, update: 0, unchanged: 0 },
      diffSource: { source: "org" },
    });
    expect(planned.files?.plan).toBe(
      "results/inbound/Account/upsert/ERP_Id__c/dry-run/accounts.csv/plan.json",
    );
    expect(afterDryRun).toBe(0);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout) as LoadReport).toMatchObject({
      status: "succeeded",
      counts: { read: 3, succeeded: 3, created: 3, unchanged: 0 },
    });
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(second.stdout).toMatch(
      /3 read: 1 succeeded \(0 created\), 0 failed, 0 unprocessed, 0 rejected, 2 unchanged/,
    );
    expect(second.stdout).toMatch(/compared with the org: Account has never been synced/);
    expect(named("Dry Two renamed")).toBe(1);
  }, 120_000);

  it("plans a file already in the bucket with --key --dry-run, beside the real load's results", async () => {
    // Prepare
    const stateDir = join(work, "by-key");
    const file = join(work, "by-key.csv");
    await writeFile(file, "ERP_Id__c,Name\nCLI-K1,Key One\n");
    const env = salesforceEnv(emulator.credentials);
    const loaded = await runCli(
      [
        "load",
        "--file",
        file,
        "--object",
        "Account",
        "--operation",
        "upsert",
        "--external-id",
        "ERP_Id__c",
        "--state-dir",
        stateDir,
        "--json",
      ],
      { env },
    );
    const key = (JSON.parse(loaded.stdout) as LoadReport).key;

    // Act
    const dry = await runCli(["load", "--key", key, "--dry-run", "--state-dir", stateDir, "--json"], { env });

    // Assess
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout) as LoadReport).toMatchObject({
      status: "planned",
      key,
      resultsFolder: `results/${key}/dry-run/`,
      planned: { unchanged: 1 },
    });
  }, 120_000);
  it("exits 1 from a dry run of a file with invalid rows, nothing sent", async () => {
    // Prepare
    const file = join(work, "invalid.csv");
    await writeFile(file, "ERP_Id__c,Name,NumberOfEmployees\nCLI-X1,Dry Invalid,ten\nCLI-X2,Dry Valid,2\n");
    const env = salesforceEnv(emulator.credentials);

    // Act
    const dry = await runCli(
      [
        "load",
        "--file",
        file,
        "--object",
        "Account",
        "--operation",
        "upsert",
        "--external-id",
        "ERP_Id__c",
        "--dry-run",
        "--state-dir",
        join(work, "invalid"),
        "--json",
      ],
      { env },
    );

    // Assess
    expect(dry.code, dry.stderr).toBe(1);
    expect(JSON.parse(dry.stdout) as LoadReport).toMatchObject({
      status: "planned",
      counts: { read: 2, rejected: 1 },
      planned: { create: 1 },
    });
    expect(named("Dry Valid")).toBe(0);
  }, 120_000);
});
