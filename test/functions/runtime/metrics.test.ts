import { describe, expect, it } from "vitest";
import { METRICS } from "../../../functions/contract";
import { lagSeconds, limitsObserver, publishExtract } from "../../../functions/core/run-metrics";
import { createEmfMetrics } from "../../../functions/runtime/metrics";

interface EmfDocument {
  _aws: {
    CloudWatchMetrics: Array<{
      Namespace: string;
      Dimensions: string[][];
      Metrics: Array<{ Name: string; Unit: string }>;
    }>;
  };
  [key: string]: unknown;
}

function captured() {
  const lines: string[] = [];
  const metrics = createEmfMetrics({ connection: "acme", write: (line) => lines.push(line) });
  return { metrics, documents: () => lines.map((line) => JSON.parse(line) as EmfDocument) };
}

describe("createEmfMetrics", () => {
  it("writes one EMF document per object's figures, under connection and object and connection alone", () => {
    // Prepare
    const { metrics, documents } = captured();

    // Act
    publishExtract(metrics, "Account", {
      records: 12,
      bytes: 3456,
      apiCalls: 4,
      deletes: 1,
      durationSeconds: 7.5,
      lagSeconds: lagSeconds(Date.parse("2026-06-01T10:05:00Z"), "2026-06-01T10:00:00Z"),
    });

    // Assess
    expect(documents()).toHaveLength(1);
    const [document] = documents();
    expect(document?._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: "SaddleData",
        Dimensions: [
          ["service", "connection", "object"],
          ["service", "connection"],
        ],
        Metrics: [
          { Name: METRICS.records, Unit: "Count" },
          { Name: METRICS.bytes, Unit: "Bytes" },
          { Name: METRICS.apiCalls, Unit: "Count" },
          { Name: METRICS.deletes, Unit: "Count" },
          { Name: METRICS.duration, Unit: "Seconds" },
          { Name: METRICS.lag, Unit: "Seconds" },
        ],
      },
    ]);
    expect(document).toMatchObject({
      service: "saddledata",
      connection: "acme",
      object: "Account",
      Records: 12,
      Bytes: 3456,
      ApiCalls: 4,
      Deletes: 1,
      DurationSeconds: 7.5,
      LagSeconds: 300,
    });
  });

  it("publishes the org's limits under the connection only, and leaves out figures it does not have", () => {
    // Prepare
    const { metrics, documents } = captured();

    // Act
    limitsObserver(metrics)?.({ DailyApiRequests: { Max: 15000, Remaining: 900 } });

    // Assess
    const [document] = documents();
    expect(document?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([["service", "connection"]]);
    expect(document?._aws.CloudWatchMetrics[0]?.Metrics.map((metric) => metric.Name)).toEqual([
      METRICS.apiRequestsRemaining,
      METRICS.apiRequestsMax,
    ]);
    expect(document).toMatchObject({ DailyApiRequestsRemaining: 900, DailyApiRequestsMax: 15000 });
    expect(document?.object).toBeUndefined();
  });

  it("measures lag from a cursor, never below zero, and not at all without one", () => {
    expect(lagSeconds(Date.parse("2026-06-01T00:01:30Z"), "2026-06-01T00:00:00.000Z")).toBe(90);
    expect(lagSeconds(Date.parse("2026-06-01T00:00:00Z"), "2026-06-01T00:00:05Z")).toBe(0);
    expect(lagSeconds(Date.now(), undefined)).toBeUndefined();
  });
});
