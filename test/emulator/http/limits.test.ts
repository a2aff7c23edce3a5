import { describe, expect, it } from "vitest";
import { Limits } from "../../../emulator/http/limits";

describe("Limits", () => {
  it("starts full, spends, refuses below zero and reports api usage", () => {
    // Prepare
    const limits = new Limits({ DailyApiRequests: 3 });
    // Act
    const spent = [
      limits.trySpend("DailyApiRequests"),
      limits.trySpend("DailyApiRequests", 2),
      limits.trySpend("DailyApiRequests"),
    ];
    // Assess
    expect(spent).toEqual([true, true, false]);
    expect(limits.get("DailyApiRequests")).toEqual({ Max: 3, Remaining: 0 });
    expect(limits.usageHeader()).toBe("api-usage=3/3");
  });

  it("sets Remaining, creates unknown limits, and lists names alphabetically", () => {
    // Prepare
    const limits = new Limits();
    // Act
    limits.set("DailyBulkV2QueryJobs", 5);
    limits.set("ZzCustom", 9);
    const body = limits.toJSON();
    // Assess
    expect(body.DailyBulkV2QueryJobs).toEqual({ Max: 10000, Remaining: 5 });
    expect(body.ZzCustom).toEqual({ Max: 9, Remaining: 9 });
    expect(Object.keys(body)).toEqual([...Object.keys(body)].sort());
    expect(body.DailyApiRequests).toEqual({ Max: 100000, Remaining: 100000 });
  });
});
