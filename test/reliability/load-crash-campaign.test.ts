import { describe, expect, it } from "vitest";
import { FATAL_CRASH, RETRIED_CRASH } from "./campaign-crash";
import { campaignTests } from "./campaign-test-support";

/**
 * Crash/resume for the load: the load handler dies before or after claim, submit, poll, results and
 * finish; the same step runs again, or the load fails and a manual retry takes it over where that is
 * safe. No row is lost from the results and no record is created twice.
 */
describe("load crash/resume campaign", () => {
  const total = campaignTests("load-crash", 301, 12, { rounds: 0, files: 3, concurrency: 2 }, 6);

  it("crashed the load's steps before and after their work, with both re-drives", () => {
    const crashes = Object.keys(total.crashes);
    for (const action of ["claim", "submit", "finish"]) {
      for (const when of ["before", "after"]) {
        expect(
          crashes.some((key) => key.startsWith(`${action} ${when} `)),
          `${action} ${when}`,
        ).toBe(true);
      }
    }
    expect(crashes.some((key) => key.endsWith(RETRIED_CRASH))).toBe(true);
    expect(crashes.some((key) => key.endsWith(FATAL_CRASH))).toBe(true);
    expect(total.rowsAccounted).toBeGreaterThan(0);
  });
});
