import { describe, expect, it } from "vitest";
import { totalOf } from "./campaign-report";
import { campaignTests } from "./campaign-test-support";

/**
 * The sync fault campaign (campaign-sync.ts) at the size `npm test` affords: 30 seeds of a demo org, two
 * rounds of org changes with a faulty sync each, then a repair run. `npm run chaos` runs it bigger.
 */
describe("sync fault campaign", () => {
  const total = campaignTests("sync", 1, 30, { rounds: 2, files: 0, concurrency: 2 });

  it("injected every kind of fault, and runs that failed were repaired by the next", () => {
    expect(total.seeds).toBe(30);
    expect(total.runs).toBe(30 * 3);
    for (const action of [
      "serverUnavailable",
      "serverError",
      "requestLimitExceeded",
      "invalidSession",
      "dropConnection",
      "delay",
      "failJob",
    ]) {
      expect(total.faults[action] ?? 0, action).toBeGreaterThan(0);
    }
    expect(totalOf(total.faults)).toBeGreaterThan(100);
    expect(total.failedRuns).toBeGreaterThan(0);
    expect(total.recordsChecked).toBeGreaterThan(30 * 2000);
  });
});
