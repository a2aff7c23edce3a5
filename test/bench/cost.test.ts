import { describe, expect, it } from "vitest";
import { athenaBilledBytes, type CostUsage, costOf, PRICES, s3RequestClass } from "../../bench/report/cost";

describe("the cost model", () => {
  it("sorts S3 commands into PUT, GET and free requests", () => {
    expect(
      [
        "PutObjectCommand",
        "CreateMultipartUploadCommand",
        "UploadPartCommand",
        "CompleteMultipartUploadCommand",
        "CopyObjectCommand",
        "ListObjectsV2Command",
      ].map(s3RequestClass),
    ).toEqual(["put", "put", "put", "put", "put", "put"]);
    expect(["GetObjectCommand", "HeadObjectCommand"].map(s3RequestClass)).toEqual(["get", "get"]);
    expect(
      ["DeleteObjectCommand", "DeleteObjectsCommand", "AbortMultipartUploadCommand"].map(s3RequestClass),
    ).toEqual(["free", "free", "free"]);
  });

  it("bills Athena by the MB rounded up, 10 MB at least per query", () => {
    expect(athenaBilledBytes(1)).toBe(10_000_000);
    expect(athenaBilledBytes(10_000_001)).toBe(11_000_000);
    expect(athenaBilledBytes(578_000_000)).toBe(578_000_000);
  });

  it("prices a run's usage and scales it linearly to a million records", () => {
    // Prepare: a 100,000-record run.
    const usage: CostUsage = {
      records: 100_000,
      lambda: [
        { function: "extract", memoryMb: 1769, invocations: 5, billedMs: 2048 },
        { function: "discover", memoryMb: 512, invocations: 1, billedMs: 1000 },
      ],
      stateTransitions: 20,
      s3: { put: 12, get: 30, free: 4 },
      athena: { queries: 1, bytesPerQuery: 5_000_000 },
    };

    // Act
    const cost = costOf(usage);

    // Assess: × 10. Extract 2.048 s × 1769/1024 GB × 10 = 35.38 GB-s; discover 1 s × 0.5 GB × 10 = 5 GB-s.
    expect(cost.scale).toBe(10);
    expect(cost.lambda.gbSeconds).toBeCloseTo(35.38 + 5, 2);
    expect(cost.lambda.requests).toBe(60);
    expect(cost.lambda.usd).toBeCloseTo(40.38 * 0.0000133334 + 60 * 0.2e-6, 6);
    expect(cost.lambda.x86Usd).toBeCloseTo(40.38 * 0.0000166667 + 60 * 0.2e-6, 6);
    expect(cost.lambda.byFunction.map((fn) => [fn.function, fn.invocations])).toEqual([
      ["extract", 50],
      ["discover", 10],
    ]);
    // 200 transitions at $0.025 per 1,000.
    expect(cost.stepFunctions).toEqual({ transitions: 200, usd: 0.005 });
    // 120 PUT at $0.005 and 300 GET at $0.0004 per 1,000; deletes free.
    expect(cost.s3).toEqual({ put: 120, get: 300, usd: 0.00072 });
    // 50 MB scanned by one merge: 5e7 / 1e12 × $5.
    expect(cost.athena).toEqual({
      queries: 1,
      bytesPerQuery: 50_000_000,
      bytesScanned: 50_000_000,
      usd: 0.00025,
    });
    expect(cost.totalUsd).toBeCloseTo(cost.lambda.usd + 0.005 + 0.00072 + 0.00025, 7);
  });

  it("applies Athena's minimum to each query of the scaled run, and refuses a run of nothing", () => {
    const usage: CostUsage = {
      records: 1_000_000,
      lambda: [],
      stateTransitions: 0,
      s3: { put: 0, get: 0, free: 0 },
      athena: { queries: 2, bytesPerQuery: 1_000 },
    };
    expect(costOf(usage).athena?.usd).toBe((2 * 10_000_000 * PRICES.athenaPerTerabyte) / 1e12);
    expect(() => costOf({ ...usage, records: 0 })).toThrow("a cost needs a run that moved records");
  });
});
