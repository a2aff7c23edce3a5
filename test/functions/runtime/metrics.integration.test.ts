import { afterEach, describe, expect, it } from "vitest";
import { createDemoOrg } from "../../../emulator/org/demo";
import { METRICS } from "../../../functions/contract";
import { createEmfMetrics } from "../../../functions/runtime/metrics";
import type { Runtime } from "../../../functions/runtime/runtime";
import { freshnessAlarmMinutesOf } from "../../../lib/config";
import { driveDiscover, driveExtract } from "../../support/drive";
import { type Harness, startHarness } from "../../support/harness";
import { driveLoad } from "../load/drive-load";
import { dropFile, startLoadHarness } from "../load/load-fixtures";

interface Emf {
  _aws: {
    CloudWatchMetrics: Array<{
      Namespace: string;
      Dimensions: string[][];
      Metrics: Array<{ Name: string; Unit: string }>;
    }>;
  };
  [key: string]: unknown;
}

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

/** The harness's runtime publishing real Powertools EMF documents into `lines`. */
function capturing(runtime: Runtime): { runtime: Runtime; documents: () => Emf[] } {
  const lines: string[] = [];
  const metrics = createEmfMetrics({
    connection: runtime.config.connection,
    write: (line) => lines.push(line),
  });
  return { runtime: { ...runtime, metrics }, documents: () => lines.map((line) => JSON.parse(line) as Emf) };
}

const metricOf = (document: Emf, name: string) =>
  document._aws.CloudWatchMetrics[0]?.Metrics.find((metric) => metric.Name === name);

describe("metrics in embedded metric format", () => {
  it("the extract commit publishes the object's records, bytes, API calls, deletes, duration and lag", async () => {
    // Prepare
    harness = await startHarness();
    const { runtime, documents } = capturing(harness.runtime);
    const discovered = await driveDiscover(runtime, "run-metrics", { objects: ["Account"] });
    const task = discovered.tasks.find((candidate) => candidate.object === "Account");
    if (!task) throw new Error("discover planned no Account");

    // Act
    const summary = await driveExtract(runtime, task);

    // Assess
    const committed = documents().filter((document) => metricOf(document, METRICS.records));
    expect(committed).toHaveLength(1);
    const document = committed[0] as Emf;
    expect(document._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: "SaddleData",
      Dimensions: [
        ["service", "connection", "object"],
        ["service", "connection"],
      ],
    });
    expect(document).toMatchObject({
      service: "saddledata",
      connection: "test",
      object: "Account",
      [METRICS.records]: summary.records,
      [METRICS.bytes]: summary.bytes,
      [METRICS.apiCalls]: summary.apiCalls,
      [METRICS.deletes]: summary.deletes ?? 0,
    });
    expect(summary.records).toBeGreaterThan(0);
    expect(metricOf(document, METRICS.bytes)?.Unit).toBe("Bytes");
    expect(metricOf(document, METRICS.lag)?.Unit).toBe("Seconds");
    // The cursor is the window's end, the org's now at the start (lagSeconds 0 in the harness).
    const lag = document[METRICS.lag] as number;
    const orgNow = (await runtime.salesforce()).serverNow();
    expect(lag).toBeGreaterThanOrEqual(0);
    expect(lag).toBeLessThanOrEqual(Math.ceil((orgNow - Date.parse(summary.cursor as string)) / 1000));
    expect(document[METRICS.duration]).toBeGreaterThanOrEqual(0);
    // The limits read before the work: the org's allowance as gauges, under the connection alone.
    const gauge = documents().find((candidate) => metricOf(candidate, METRICS.apiRequestsRemaining));
    expect(gauge?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([["service", "connection"]]);
    expect(gauge?.[METRICS.apiRequestsRemaining]).toBeGreaterThan(0);
    expect(gauge?.object).toBeUndefined();
    // Names and numbers only: no credential reaches a metric.
    const credentials = harness.emulator.credentials as unknown as Record<string, unknown>;
    for (const secret of [credentials.password, credentials.clientSecret].filter(Boolean)) {
      expect(JSON.stringify(documents())).not.toContain(String(secret));
    }
  });

  it("the load finish publishes the file's rows by outcome under its object", async () => {
    // Prepare
    const loadHarness = await startLoadHarness();
    harness = loadHarness;
    const { runtime, documents } = capturing(loadHarness.runtime);
    const csv = ["ERP_Id__c,Amount__c", "M-1,10", "M-2,not a number", "M-3,30"].join("\n");
    const request = await dropFile(loadHarness, "inbound/Invoice__c/insert/metrics.csv", csv);

    // Act
    const run = await driveLoad(runtime, request);

    // Assess
    const counts = run.summary?.counts;
    expect(counts).toMatchObject({ read: 3, succeeded: 2, rejected: 1 });
    const finished = documents().filter((document) => metricOf(document, METRICS.loadSucceeded));
    expect(finished).toHaveLength(1);
    expect(finished[0]?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([
      ["service", "connection", "object"],
      ["service", "connection"],
    ]);
    expect(finished[0]).toMatchObject({
      connection: "test",
      object: "Invoice__c",
      [METRICS.loadSucceeded]: counts?.succeeded,
      [METRICS.loadFailed]: counts?.failed,
      [METRICS.loadUnprocessed]: counts?.unprocessed,
      [METRICS.loadRejected]: counts?.rejected,
      [METRICS.loadUnchanged]: 0,
      [METRICS.loadApiCalls]: run.summary?.apiCalls,
    });
  });

  it("an object that keeps failing reports a lag that grows past the freshness alarm's threshold", async () => {
    // Prepare: an hourly schedule alarms after three hours; the org's clock is ours to move
    const T0 = Date.parse("2026-06-01T12:00:00.000Z");
    const org = createDemoOrg({ seed: 3, now: T0 });
    org.clock.set(T0, { frozen: true });
    harness = await startHarness({ emulator: { org } });
    const { runtime, documents } = capturing(harness.runtime);
    const threshold = (freshnessAlarmMinutesOf({ schedule: "rate(1 hour)" }) as number) * 60;
    const lags = () =>
      documents()
        .filter((document) => document.object === "Account" && metricOf(document, METRICS.lag))
        .map((document) => ({
          lag: document[METRICS.lag] as number,
          failed: METRICS.extractFailures in document,
        }));
    const first = await driveDiscover(runtime, "fresh-1", { objects: ["Account"] });
    await driveExtract(runtime, first.tasks[0] as (typeof first.tasks)[number]);

    // Act: five hours on, every run of Account fails (another run holds its lease)
    org.clock.set(T0 + 5 * 3_600_000, { frozen: true });
    await runtime.state.acquireLease(
      { connection: "test", object: "Account" },
      "stuck-run",
      86_400_000,
      Date.now(),
    );
    const second = await driveDiscover(runtime, "fresh-2", { objects: ["Account"] });
    await expect(driveExtract(runtime, second.tasks[0] as (typeof second.tasks)[number])).rejects.toThrow(
      /lease|held/i,
    );

    // Assess: fresh after the commit, stale past the threshold after the failure, as the alarm reads it
    const [committed, failed] = lags();
    expect(committed).toMatchObject({ failed: false });
    expect(committed?.lag).toBeLessThan(threshold);
    expect(failed).toMatchObject({ failed: true });
    expect(failed?.lag).toBeGreaterThan(threshold);
    expect(failed?.lag).toBeGreaterThanOrEqual(5 * 3600 - 60);
    expect(failed?.lag).toBeLessThanOrEqual(5 * 3600 + 60);
  });
});
