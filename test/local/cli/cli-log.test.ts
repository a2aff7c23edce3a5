import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { METRICS } from "../../../functions/contract";
import { cliMetrics } from "../../../local/cli/cli-log";
import type { Terminal } from "../../../local/cli/terminal";

function terminal(): { terminal: Terminal; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const chunks = { out: [] as string[], err: [] as string[] };
  stdout.on("data", (chunk) => chunks.out.push(String(chunk)));
  stderr.on("data", (chunk) => chunks.err.push(String(chunk)));
  return {
    terminal: { stdout, stderr, env: {}, cwd: "/" },
    out: () => chunks.out.join(""),
    err: () => chunks.err.join(""),
  };
}

const figures = [{ name: METRICS.records, unit: "Count" as const, value: 5 }];

describe("cliMetrics", () => {
  it("prints nothing without --verbose", async () => {
    // Prepare
    const t = terminal();

    // Act
    cliMetrics(t.terminal, "local", false).publish(figures, { object: "Account" });
    await new Promise((resolve) => setImmediate(resolve));

    // Assess
    expect(t.out()).toBe("");
    expect(t.err()).toBe("");
  });

  it("prints the EMF document on stderr with --verbose, never on stdout", async () => {
    // Prepare
    const t = terminal();

    // Act
    cliMetrics(t.terminal, "local", true).publish(figures, { object: "Account" });
    await new Promise((resolve) => setImmediate(resolve));

    // Assess
    expect(t.out()).toBe("");
    const document = JSON.parse(t.err().trim());
    expect(document).toMatchObject({ connection: "local", object: "Account", [METRICS.records]: 5 });
    expect(document._aws.CloudWatchMetrics[0].Namespace).toBe("SaddleData");
  });
});
