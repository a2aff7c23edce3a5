/** When a run reconciles Ids from its start, and how `reconcileEvery` reads. */
import { describe, expect, it } from "vitest";
import { RECYCLE_BIN_MS, reconcileAtStart } from "../../../../functions/core/extract/reconcile";
import { extractSettingsOf, parseSettings, reconcileEveryMs } from "../../../../functions/core/settings";

const NOW = Date.parse("2026-06-10T00:00:00.000Z");
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

describe("reconcileEvery", () => {
  it("defaults to weekly and reads days, hours, daily and never", () => {
    // Act & Assess
    expect(extractSettingsOf(parseSettings({}, "test")).reconcileEveryMs).toBe(7 * DAY);
    expect(reconcileEveryMs("daily")).toBe(DAY);
    expect(reconcileEveryMs("3d")).toBe(3 * DAY);
    expect(reconcileEveryMs("12h")).toBe(12 * 3_600_000);
    expect(reconcileEveryMs("never")).toBeUndefined();
  });

  it("refuses what it cannot read, saying what it takes", () => {
    // Act & Assess
    for (const bad of ["monthly", "7", "0d", "-1d", "1w"]) {
      expect(() => parseSettings({ reconcileEvery: bad }, "settings.json")).toThrow(
        /reconcileEvery: must be "weekly", "daily", "never", or a number of days or hours such as "3d"/,
      );
    }
  });
});

describe("a run reconciles from its start", () => {
  const weekly = { reconcileEveryMs: 7 * DAY };

  it("when its schedule is due, or it never reconciled", () => {
    // Act & Assess
    const recent = { cursor: iso(NOW - DAY), lastReconciledAt: iso(NOW - 2 * DAY) };
    expect(reconcileAtStart(weekly, "incremental", recent, NOW)).toBeUndefined();
    const due = { cursor: iso(NOW - DAY), lastReconciledAt: iso(NOW - 7 * DAY) };
    expect(reconcileAtStart(weekly, "incremental", due, NOW)).toBe("schedule");
    expect(reconcileAtStart(weekly, "incremental", { cursor: iso(NOW - DAY) }, NOW)).toBe("schedule");
    expect(reconcileAtStart({ reconcileEveryMs: undefined }, "incremental", due, NOW)).toBeUndefined();
  });

  it("when the gap since the last run outlives the recycle bin, whatever the schedule", () => {
    // Act & Assess
    const gap = { cursor: iso(NOW - RECYCLE_BIN_MS - 1), lastReconciledAt: iso(NOW - DAY) };
    expect(reconcileAtStart({ reconcileEveryMs: undefined }, "incremental", gap, NOW)).toBe("gap");
  });

  it("when an earlier run needed one and could not finish it, whatever the schedule", () => {
    // Act & Assess
    const owed = { cursor: iso(NOW - DAY), lastReconciledAt: iso(NOW - DAY), reconcilePending: "getDeleted" };
    expect(reconcileAtStart({ reconcileEveryMs: undefined }, "incremental", owed, NOW)).toBe("getDeleted");
  });

  it("never on a first run or a full refresh", () => {
    // Act & Assess
    expect(reconcileAtStart(weekly, "incremental", {}, NOW)).toBeUndefined();
    expect(reconcileAtStart(weekly, "full_refresh", { cursor: iso(NOW - 30 * DAY) }, NOW)).toBeUndefined();
  });
});
