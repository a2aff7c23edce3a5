import { describe, expect, it } from "vitest";
import { nextScheduledRun } from "../../../local/cli/schedule";

const NOW = Date.parse("2026-12-07T22:31:10.000Z"); // a Monday

function next(expression: string, options: { timeZone?: string; lastRunAt?: number; now?: number } = {}) {
  return nextScheduledRun(expression, { now: NOW, ...options });
}

describe("nextScheduledRun", () => {
  it.each([
    ["cron(0 2 * * ? *)", "2026-12-08T02:00:00.000Z"],
    ["cron(*/15 * * * ? *)", "2026-12-07T22:45:00.000Z"],
    ["cron(5,35 * * * ? *)", "2026-12-07T22:35:00.000Z"],
    ["cron(0 9-17 ? * MON-FRI *)", "2026-12-08T09:00:00.000Z"],
    ["cron(30 22 ? * MON *)", "2026-12-14T22:30:00.000Z"],
    ["cron(0 0 L * ? *)", "2026-12-31T00:00:00.000Z"],
    ["cron(0 0 1 JAN ? *)", "2027-01-01T00:00:00.000Z"],
    ["cron(0 12 ? * 6#3 *)", "2026-12-18T12:00:00.000Z"],
    ["cron(0 12 ? * FRIL *)", "2026-12-25T12:00:00.000Z"],
    ["cron(0 8 15W * ? *)", "2026-12-15T08:00:00.000Z"],
    ["cron(0 0 29 2 ? *)", "2028-02-29T00:00:00.000Z"],
    ["cron(0 0 1 1 ? 2030)", "2030-01-01T00:00:00.000Z"],
  ])("%s fires next at %s (UTC)", (expression, at) => {
    expect(next(expression)).toEqual({ at, exact: true });
  });

  it("reads a cron in its time zone, across a daylight-saving change", () => {
    // 02:00 in New York is 07:00 UTC in winter; on 2027-03-14 clocks skip 02:00-03:00.
    expect(next("cron(0 2 * * ? *)", { timeZone: "America/New_York" })).toEqual({
      at: "2026-12-08T07:00:00.000Z",
      exact: true,
    });
    const beforeSpring = Date.parse("2027-03-13T12:00:00.000Z");
    expect(next("cron(30 2 * * ? *)", { timeZone: "America/New_York", now: beforeSpring })).toEqual({
      at: "2027-03-15T06:30:00.000Z",
      exact: true,
    });
  });

  it("counts a rate from the last run's start, and knows nothing before a first run", () => {
    const lastRunAt = Date.parse("2026-12-07T20:10:00.000Z");
    expect(next("rate(1 hour)", { lastRunAt })).toEqual({ at: "2026-12-07T23:10:00.000Z", exact: false });
    expect(next("rate(30 minutes)", { lastRunAt: NOW - 60_000 })).toEqual({
      at: new Date(NOW - 60_000 + 30 * 60_000).toISOString(),
      exact: false,
    });
    expect(next("rate(1 day)")).toBeUndefined();
  });

  it("answers a one-off at() in the future, and nothing once it has passed", () => {
    expect(next("at(2027-01-01T00:00:00)", { timeZone: "Europe/Paris" })).toEqual({
      at: "2026-12-31T23:00:00.000Z",
      exact: true,
    });
    expect(next("at(2026-01-01T00:00:00)")).toBeUndefined();
  });

  it("finds nothing for a cron whose years are past", () => {
    expect(next("cron(0 0 1 1 ? 2020-2025)")).toBeUndefined();
  });
});
