import { describe, expect, it } from "vitest";
import { campaignTests } from "./campaign-test-support";

/**
 * The load fault campaign (campaign-load.ts): inbound files for insert, upsert, update and delete,
 * announced once or several times at once, loaded through the synthesized state machine with faults
 * in uploads, polls and result downloads.
 */
describe("load fault campaign", () => {
  const total = campaignTests("load", 201, 12, { rounds: 0, files: 3, concurrency: 2 }, 6);

  it("injected faults of every kind and accounted for every row read", () => {
    for (const action of [
      "serverUnavailable",
      "serverError",
      "requestLimitExceeded",
      "invalidSession",
      "dropConnection",
    ]) {
      expect(total.faults[action] ?? 0, action).toBeGreaterThan(0);
    }
    expect(total.rowsAccounted).toBeGreaterThan(12 * 3 * 10);
  });
});
