import { Writable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createProgress } from "../../../local/cli/progress";
import type { Terminal } from "../../../local/cli/terminal";

function capture(tty: boolean): { terminal: Terminal; text: () => string } {
  let text = "";
  const stream = Object.assign(
    new Writable({
      write(chunk, _encoding, done) {
        text += String(chunk);
        done();
      },
    }),
    { isTTY: tty, columns: 80 },
  );
  return { terminal: { stdout: stream, stderr: stream, env: {}, cwd: "/" }, text: () => text };
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe("progress", () => {
  it("off a terminal, says nothing of a quick step but its result", () => {
    // Prepare
    const { terminal, text } = capture(false);
    const step = createProgress(terminal).step("Sync");

    // Act
    step.update("Account: 200 records", { done: 1, total: 3 });
    vi.advanceTimersByTime(500);
    step.succeed("3 objects");

    // Assess
    expect(text()).toBe("Sync: 3 objects (0.5s)\n");
  });

  it("off a terminal, announces a long step and then at most a line a second", () => {
    // Prepare
    const { terminal, text } = capture(false);
    const step = createProgress(terminal).step("Sync");

    // Act
    step.update("catalog v1", { done: 0, total: 2 });
    vi.advanceTimersByTime(2000);
    step.update("Account: 10 records", { done: 0, total: 2 });
    step.update("Account: 20 records", { done: 0, total: 2 });
    vi.advanceTimersByTime(1000);
    step.update("Contact: 5 records", { done: 1, total: 2 });
    step.fail("1 failed");

    // Assess
    expect(text().split("\n")).toEqual([
      "Sync ... catalog v1 (0/2)",
      "  Contact: 5 records (1/2)",
      "Sync: 1 failed (3.0s)",
      "",
    ]);
  });

  it("on a terminal, redraws one line with a bar and clears it when abandoned", () => {
    // Prepare
    const { terminal, text } = capture(true);
    const progress = createProgress(terminal);
    const step = progress.step("Sync");

    // Act
    step.update("Account", { done: 1, total: 4 });
    progress.abandon();
    const atAbandon = text();
    vi.advanceTimersByTime(1000);

    // Assess
    expect(atAbandon).toContain("Sync [#####---------------] 1/4 · Account");
    expect(atAbandon.endsWith("\r\x1b[2K")).toBe(true);
    expect(text()).toBe(atAbandon);
  });

  it("prints nothing off a terminal when asked to be quiet (--json on a pipe)", () => {
    // Prepare
    const { terminal, text } = capture(false);

    // Act
    const step = createProgress(terminal, { quiet: true }).step("Sync");
    vi.advanceTimersByTime(5000);
    step.succeed("done");

    // Assess
    expect(text()).toBe("");
  });
});
