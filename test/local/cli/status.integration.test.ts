import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FileKey } from "../../../functions/core/ports";
import { type StatusReport, statusReport, statusText } from "../../../local/cli/status-report";
import { driveSync } from "../../support/drive";
import { type Harness, startDemoHarness } from "../../support/harness";
import { recordCommands } from "../../support/recorded-commands";
import { runCli, salesforceEnv } from "./run-cli";

const T = Date.parse("2026-12-07T12:00:00.000Z");
const HOUR = 3_600_000;

let h: Harness;
let work: string;

beforeAll(async () => {
  h = await startDemoHarness(T);
  work = await mkdtemp(join(tmpdir(), "saddledata-cli-status-"));
});

afterAll(async () => {
  await h?.stop();
  await rm(work, { recursive: true, force: true });
});

function inbound(name: string): FileKey {
  return { bucket: h.runtime.config.bucket, key: `inbound/Account/insert/${name}`, version: "v1" };
}

describe("saddledata status", () => {
  it("shows each object's last commit, lag, records, the next run and the loads in flight, without a scan", async () => {
    // Prepare: Account synced incrementally, Invoice__c by full refresh, Contact
    // leased by a run in progress; three loads: one finished, one loading, one loading for two days.
    const incremental = await driveSync(h.runtime, "run-inc", { objects: ["Account"], mode: "incremental" });
    const full = await driveSync(h.runtime, "run-full", { objects: ["Invoice__c"], mode: "full_refresh" });
    await h.runtime.state.acquireLease({ connection: "test", object: "Contact" }, "run-busy", 2 * HOUR, T);
    await h.runtime.state.claimFile(inbound("old.csv"), "load-old", new Date(T - 48 * HOUR));
    await h.runtime.state.claimFile(inbound("done.csv"), "load-done", new Date(T - HOUR));
    await h.runtime.state.finishFile(inbound("done.csv"), "load-done", { status: "succeeded" }, new Date(T));
    await h.runtime.state.claimFile(inbound("new.csv"), "load-new", new Date(T - 60_000));
    const sent = recordCommands(h.env.clients.dynamodb);

    // Act
    const report = await statusReport(h.env, "test storage", {
      loads: 10,
      now: T + HOUR,
      schedule: { expression: "cron(0 2 * * ? *)" },
    });
    sent.dispose();
    const text = statusText(report);

    // Assess: the figures.
    const account = report.objects.find((object) => object.object === "Account");
    const invoice = report.objects.find((object) => object.object === "Invoice__c");
    const contact = report.objects.find((object) => object.object === "Contact");
    const accountRun = incremental.get("Account");
    expect(accountRun?.cursor).toBe(new Date(T).toISOString());
    expect(account).toMatchObject({
      lastStatus: "succeeded",
      lastRunId: "run-inc",
      cursor: accountRun?.cursor,
      // Committed by this machine's clock, whatever the day the test runs.
      lastCommittedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      lagSeconds: 3600,
      lastRunRecords: h.emulator.org.count("Account"),
      nextRunAt: "2026-12-08T02:00:00.000Z",
    });
    expect(invoice).toMatchObject({ lastRunId: "run-full", lastRunRecords: full.get("Invoice__c")?.records });
    expect(invoice?.lagSeconds).toBe(3600);
    expect(contact).toMatchObject({ lastStatus: "running", lease: { holder: "run-busy", active: true } });
    expect(contact?.lastRunRecords).toBeUndefined();
    expect(report.schedule).toEqual({
      expression: "cron(0 2 * * ? *)",
      timeZone: "UTC",
      next: { at: "2026-12-08T02:00:00.000Z", exact: true },
    });
    expect(report.loadsInFlight.map((claim) => [claim.runId, claim.stale])).toEqual([
      ["load-new", false],
      ["load-old", true],
    ]);
    expect(report.loads.map((claim) => [claim.runId, claim.status])).toEqual([
      ["load-new", "loading"],
      ["load-done", "succeeded"],
      ["load-old", "loading"],
    ]);
    // Targeted reads only: the marker, then Queries of the list index.
    expect(sent.names).not.toContain("ScanCommand");
    expect(new Set(sent.names)).toEqual(new Set(["GetItemCommand", "QueryCommand"]));

    // Assess: the text.
    expect(text).toContain("Schedule cron(0 2 * * ? *) (UTC): next run 2026-12-08T02:00:00.000Z");
    expect(text).toMatch(/LAST COMMIT\s+LAG\s+RECORDS/);
    expect(text).toMatch(
      new RegExp(
        `Account\\s+succeeded\\s+\\S+ \\(SystemModstamp\\)\\s+run-inc\\s+-\\s+\\d{4}-\\d{2}-\\d{2}T\\S+\\s+1h 0m\\s+${h.emulator.org.count("Account")}`,
      ),
    );
    expect(text).toMatch(
      /Loads in flight:\n\s+CLAIMED\s+FILE\s+RUN\n.*load-new\n.*load-old\s+stale: no outcome after 24 h/,
    );
  });

  it("prints the report as JSON, and refuses an unknown connection or a bad schedule in one line", async () => {
    // Prepare: a state folder with one synced connection, through the command line.
    const stateDir = join(work, "cli");
    const settings = join(work, "config.json");
    await writeFile(
      settings,
      JSON.stringify({
        connections: [{ name: "nightly", settings: {}, schedule: "rate(1 day)", scheduleTimeZone: "UTC" }],
      }),
    );
    const env = salesforceEnv({ ...h.emulator.credentials, loginUrl: h.emulator.url });
    const sync = await runCli(
      ["sync", "--objects", "Invoice__c", "--state-dir", stateDir, "--settings", settings, "--json"],
      { env },
    );

    // Act
    const json = await runCli(["status", "--state-dir", stateDir, "--settings", settings, "--json"]);
    const unknown = await runCli(["status", "--state-dir", stateDir, "--connection", "nope"]);
    const badSchedule = await runCli(["status", "--state-dir", stateDir, "--schedule", "every hour"]);

    // Assess
    expect(sync.code, sync.stderr).toBe(0);
    expect(json.code, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout) as StatusReport;
    expect(report.connection).toBe("nightly");
    expect(report.schedule).toMatchObject({ expression: "rate(1 day)", next: { exact: false } });
    expect(report.objects).toEqual([
      expect.objectContaining({
        object: "Invoice__c",
        lastStatus: "succeeded",
        lastRunRecords: h.emulator.org.count("Invoice__c"),
        lagSeconds: expect.any(Number),
        nextRunAt: report.schedule?.next?.at,
      }),
    ]);
    expect(report.loadsInFlight).toEqual([]);
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe("");
    expect(unknown.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(
        /^saddledata: Connection nope has no objects in state table saddledata-state, no catalog under s3:\/\/\S+ and no loads: check --connection/,
      ),
    ]);
    expect(badSchedule.code).toBe(2);
    expect(badSchedule.stderr).toContain("--schedule must be an EventBridge Scheduler expression");
  });
});
