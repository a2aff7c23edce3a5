import { describe, expect, it } from "vitest";
import * as z from "zod";
import { defineHandler } from "../../../functions/runtime/lambda";
import type { Runtime } from "../../../functions/runtime/runtime";
import { memoryLog } from "../../support/memory-log";

/** Only the log is used by these bodies: the rest of a runtime is never touched. */
function runtimeWith(log: ReturnType<typeof memoryLog>): Runtime {
  return { log } as unknown as Runtime;
}

const Input = z.object({ runId: z.string(), object: z.string(), fail: z.boolean().optional() });

const handler = defineHandler(
  "probe",
  Input,
  async (input, { runtime }) => {
    runtime.log.info("no fields of its own");
    runtime.log.warn("fields of its own", { records: 3 });
    // A line's own value is kept: the core sometimes names another object (a parent, say).
    runtime.log.debug("own object", { object: "Parent__c" });
    if (input.fail) throw new Error("boom");
    return "done";
  },
  (input) => ({ runId: input.runId, object: input.object }),
);

describe("defineHandler", () => {
  it("puts the invocation's run id and object on every line the body logs", async () => {
    // Prepare
    const log = memoryLog();
    // Act
    const result = await handler.invoke({ runId: "r1", object: "Account" }, runtimeWith(log));
    // Assess
    expect(result).toBe("done");
    expect(log.lines).toEqual([
      { level: "info", message: "no fields of its own", extra: { runId: "r1", object: "Account" } },
      { level: "warn", message: "fields of its own", extra: { runId: "r1", object: "Account", records: 3 } },
      { level: "debug", message: "own object", extra: { runId: "r1", object: "Parent__c" } },
    ]);
  });

  it("logs a failure once, with the keys, and rethrows it unchanged", async () => {
    // Prepare
    const log = memoryLog();
    // Act
    const failed = handler.invoke({ runId: "r2", object: "Contact", fail: true }, runtimeWith(log));
    // Assess
    await expect(failed).rejects.toThrow("boom");
    const errors = log.lines.filter((line) => line.level === "error");
    expect(errors).toEqual([
      {
        level: "error",
        message: "probe failed",
        extra: { runId: "r2", object: "Contact", error: { name: "Error", message: "boom" } },
      },
    ]);
  });

  it("logs an input it cannot parse without keys, as a configuration error", async () => {
    // Prepare
    const log = memoryLog();
    // Act
    const failed = handler.invoke({ runId: 1 }, runtimeWith(log));
    // Assess
    await expect(failed).rejects.toMatchObject({ name: "ConfigurationError" });
    expect(log.lines).toHaveLength(1);
    expect(log.lines[0]?.message).toBe("probe failed");
    expect(log.lines[0]?.extra).not.toHaveProperty("runId");
  });
});
