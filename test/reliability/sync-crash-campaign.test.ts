import { describe, expect, it } from "vitest";
import { FATAL_CRASH, RETRIED_CRASH } from "./campaign-crash";
import { campaignTests } from "./campaign-test-support";

/**
 * Crash/resume for the sync (campaign-crash.ts): extract and discover die before or after their real
 * work at step boundaries, re-driven as Step Functions would (the same step again, or the object failed
 * and the next run repairing), with faults on as well.
 */
describe("sync crash/resume campaign", () => {
  const total = campaignTests("sync-crash", 101, 10, { rounds: 2, files: 0, concurrency: 2 });

  it("crashed every step before and after its work, with both re-drives", () => {
    const crashes = Object.keys(total.crashes);
    for (const action of ["start", "poll", "fetch", "commit"]) {
      for (const when of ["before", "after"]) {
        expect(
          crashes.some((key) => key.startsWith(`${action} ${when} `)),
          `${action} ${when}`,
        ).toBe(true);
      }
    }
    expect(crashes.some((key) => key.endsWith(RETRIED_CRASH))).toBe(true);
    expect(crashes.some((key) => key.endsWith(FATAL_CRASH))).toBe(true);
    expect(total.failedRuns).toBeGreaterThan(0);
  });
});
