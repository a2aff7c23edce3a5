import { describe, expect, it } from "vitest";
import { median, ratio } from "../../bench/report/stats";

describe("median and ratio", () => {
  it("take the middle value, or the mean of the middle two, whatever the order", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([10, 1, 4, 2])).toBe(3);
    expect(median([7])).toBe(7);
    expect(() => median([])).toThrow(RangeError);
  });

  it("rounds a ratio to two decimals", () => {
    expect(ratio(1, 3)).toBe(0.33);
    expect(ratio(52_000, 8_000)).toBe(6.5);
  });
});
