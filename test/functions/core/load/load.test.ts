import { describe, expect, it } from "vitest";
import { reconcile } from "../../../../functions/core/load/load";
import { initialLoadState, type LoadState } from "../../../../functions/core/load/load-state";
import { ReconciliationError } from "../../../../functions/errors";

function stateWith(counts: Partial<LoadState["counts"]>, retryRows = 0): LoadState {
  const state = initialLoadState({
    runId: "r",
    file: { bucket: "b", key: "inbound/Account/insert/a.csv", version: "v", claimVersion: "v" },
    target: { object: "Account", operation: "insert" },
    resultsFolder: "results/inbound/Account/insert/a.csv/",
    claimedAt: "2026-06-01T00:00:00.000Z",
  });
  return {
    ...state,
    status: "finishing",
    seq: 3,
    phase: "send",
    retryRows,
    counts: { ...state.counts, ...counts },
  };
}

describe("load reconciliation", () => {
  it("accepts a load whose every row has one outcome, and refuses any other", () => {
    // Act & Assess
    expect(() =>
      reconcile(stateWith({ read: 10, succeeded: 6, failed: 2, unprocessed: 1, rejected: 1 })),
    ).not.toThrow();
    expect(() => reconcile(stateWith({ read: 10, succeeded: 6, failed: 2, rejected: 1 }))).toThrow(
      ReconciliationError,
    );
    expect(() => reconcile(stateWith({ read: 10, succeeded: 11 }))).toThrow(/accounts for 11/);
    expect(() => reconcile(stateWith({ read: 10, succeeded: 10 }, 2))).toThrow(/2 still staged for retry/);
  });
});
