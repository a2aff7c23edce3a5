import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../../emulator/index";
import type { LoadReport } from "../../../local/cli/load-run";
import { readFailedRows } from "../../../local/demo/checks";
import { startLocalEnvironment } from "../../../local/environment";
import { ROOT, runCli, salesforceEnv } from "./run-cli";

let emulator: Emulator;
let work: string;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  work = await mkdtemp(join(tmpdir(), "saddledata-cli-load-"));
});

afterAll(async () => {
  await emulator?.stop();
  await rm(work, { recursive: true, force: true });
});

async function readText(stateDir: string, key: string): Promise<string | undefined> {
  const env = await startLocalEnvironment({ directory: stateDir });
  try {
    const bytes = await env.runtime.store.get(key);
    return bytes === undefined ? undefined : new TextDecoder().decode(bytes);
  } finally {
    await env.stop();
  }
}

describe("saddledata load", () => {
  it("loads a clean file through the inbound hook, writes results to S3 and exits 0", async () => {
    // Prepare
    const stateDir = join(work, "clean");
    const file = join(work, "new-contacts.csv");
    await writeFile(
      file,
      "FirstName,LastName,Email\nAda,Lovelace,ada@example.com\nGrace,Hopper,grace@example.com\nAlan,Turing,alan@example.com\n",
    );
    const before = emulator.org.count("Contact");

    // Act
    const result = await runCli(
      [
        "load",
        "--file",
        file,
        "--object",
        "Contact",
        "--operation",
        "insert",
        "--state-dir",
        stateDir,
        "--json",
      ],
      { env: salesforceEnv(emulator.credentials) },
    );

    // Assess
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as LoadReport;
    expect(report).toMatchObject({
      status: "succeeded",
      key: "inbound/Contact/insert/new-contacts.csv",
      counts: { read: 3, succeeded: 3, created: 3, failed: 0, rejected: 0 },
    });
    expect(emulator.org.count("Contact")).toBe(before + 3);
    const summary = JSON.parse((await readText(stateDir, report.files?.summary as string)) ?? "{}") as {
      outcome: string;
      runId: string;
    };
    expect(summary).toMatchObject({ outcome: "succeeded", runId: report.runId });
    const success = (await readText(stateDir, report.files?.success as string)) ?? "";
    expect(success.trim().split(/\r?\n/)).toHaveLength(4);
  });

  it("exits 1 when rows fail, with them in failed.csv; loading the same version again reports the first run", async () => {
    // Prepare
    const stateDir = join(work, "partial");
    const env = salesforceEnv(emulator.credentials);
    const sample = join(ROOT, "samples/accounts-upsert.csv");

    // Act
    const first = await runCli(
      [
        "load",
        "--file",
        sample,
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
    const firstReport = JSON.parse(first.stdout) as LoadReport;
    const again = await runCli(["load", "--key", firstReport.key, "--state-dir", stateDir], { env });

    // Assess
    expect(first.code, first.stderr).toBe(1);
    expect(firstReport).toMatchObject({
      status: "partial",
      key: "inbound/Account/upsert/ERP_Id__c/accounts-upsert.csv",
      counts: { read: 5, succeeded: 4, failed: 1 },
      errorCodes: { REQUIRED_FIELD_MISSING: 1 },
    });
    const local = await startLocalEnvironment({ directory: stateDir });
    try {
      const failed = await readFailedRows(local.runtime.store, firstReport.files?.failed as string);
      expect(failed.map((row) => row.values.ERP_Id__c)).toEqual(["ERP-90003"]);
    } finally {
      await local.stop();
    }
    expect(again.code, again.stderr).toBe(1);
    expect(again.stdout).toMatch(/^Load \S+: duplicate/);
    expect(again.stdout).toContain(`claimed  by run ${firstReport.runId} (partial)`);
  });
});
