import { describe, expect, it } from "vitest";
import { createClock } from "../../../emulator/org/clock";

describe("org clock", () => {
  it("starts at the given time and keeps running", () => {
    const clock = createClock(Date.UTC(2024, 0, 1));

    const first = clock.now();

    expect(first).toBeGreaterThanOrEqual(Date.UTC(2024, 0, 1));
    expect(first).toBeLessThan(Date.UTC(2024, 0, 1) + 60_000);
  });

  it("stands still when frozen and moves only by advance", () => {
    const clock = createClock();
    clock.set(1_000_000, { frozen: true });

    clock.advance(250);

    expect(clock.now()).toBe(1_000_250);
    expect(clock.now()).toBe(1_000_250);
  });

  it("runs again from where it stood after unfreeze", () => {
    const clock = createClock();
    clock.set(5_000_000, { frozen: true });

    clock.unfreeze();
    const after = clock.now();

    expect(after).toBeGreaterThanOrEqual(5_000_000);
    expect(after).toBeLessThan(5_000_000 + 60_000);
  });

  it("can be set back in time and advanced by a negative amount", () => {
    const clock = createClock(10_000_000, { frozen: true });

    clock.advance(-4_000);

    expect(clock.now()).toBe(9_996_000);
  });
});
