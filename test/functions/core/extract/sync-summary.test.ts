import { describe, expect, it } from "vitest";
import { buildSyncSummary } from "../../../../functions/core/extract/sync-summary";
import { Layout } from "../../../../functions/core/layout";

describe("the sync summary", () => {
  const layout = new Layout("salesforce/acme");
  const now = new Date("2026-03-01T10:00:00.000Z");

  it("adds up records and the delete log's deletes per object and over the run", () => {
    // Act
    const { report, summary } = buildSyncSummary(
      "sync-1",
      [
        {
          object: "Account",
          status: "succeeded",
          records: 10,
          deletes: 2,
          apiCalls: 5,
          runDate: "2026-03-01",
        },
        {
          object: "Contact",
          status: "succeeded",
          records: 3,
          deletes: 0,
          apiCalls: 4,
          runDate: "2026-03-01",
        },
        {
          object: "Case",
          status: "failed",
          records: 7,
          deletes: 9,
          apiCalls: 1,
          errorName: "TransientError",
        },
      ],
      layout,
      now,
    );

    // Assess
    expect(report.outcomes.map((outcome) => [outcome.object, outcome.records, outcome.deletes])).toEqual([
      ["Account", 10, 2],
      ["Contact", 3, 0],
      ["Case", 0, 0],
    ]);
    expect(summary).toMatchObject({ records: 13, deletes: 2, apiCalls: 10, failed: 1 });
  });

  it("names each object's Id reconciliation and adds its deletes and re-fetched rows over the run", () => {
    // Act
    const { report, summary } = buildSyncSummary(
      "sync-3",
      [
        {
          object: "Account",
          status: "succeeded",
          records: 4,
          deletes: 0,
          reconciled: [3, 2, 7],
          apiCalls: 12,
          runDate: "2026-03-01",
        },
        {
          object: "Contact",
          status: "succeeded",
          records: 1,
          deletes: 0,
          reconciled: [0, 0, 0],
          apiCalls: 3,
          runDate: "2026-03-01",
        },
      ],
      layout,
      now,
    );

    // Assess: a run that did not reconcile reports nothing of it.
    expect(report.outcomes.map((outcome) => outcome.reconciled)).toEqual([
      { deletes: 3, refetched: 2, apiCalls: 7 },
      undefined,
    ]);
    expect(summary).toMatchObject({ reconciledDeletes: 3, refetched: 2, apiCalls: 15 });
    expect(summary.message).toBe(
      "2 objects synced, 5 records, 3 deletes found by Id reconciliation, 2 rows fetched again.",
    );
  });

  it("says how many deletes the log gave when the run succeeded", () => {
    // Act
    const { summary } = buildSyncSummary(
      "sync-2",
      [
        {
          object: "Account",
          status: "succeeded",
          records: 4,
          deletes: 3,
          apiCalls: 2,
          runDate: "2026-03-01",
        },
      ],
      layout,
      now,
    );

    // Assess
    expect(summary.message).toBe("1 objects synced, 4 records, 3 deletes from the delete log.");
  });
});
