import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../../emulator/index";
import { clearSessionCache } from "../../../functions/salesforce/client";
import { type LocalEnvironment, startLocalEnvironment } from "../../../local/environment";
import { createLocalRunner } from "../../../local/stepfunctions/state-machine";
import { countTransitions } from "../../../local/stepfunctions/transitions";
import { memoryLog } from "../../support/memory-log";

/** The state transitions of a real local execution: every state entered, and each retry of a state. */
describe("countTransitions", () => {
  let emulator: Emulator;
  let env: LocalEnvironment;

  beforeAll(async () => {
    clearSessionCache();
    emulator = await startEmulator({ bulk: { queuedMs: 5, processingMsPer10k: 5 } });
    env = await startLocalEnvironment({
      connection: "transitions",
      credentials: { ...emulator.credentials, loginUrl: emulator.url },
      settings: { lagSeconds: 0, lookbackSeconds: 0 },
      log: memoryLog(),
    });
  }, 60_000);

  afterAll(async () => {
    await env?.stop();
    await emulator?.stop();
    clearSessionCache();
  });

  it("counts a sync's states entered and the retry of a task that failed for a transient reason", async () => {
    // Prepare: the org's describeGlobal unavailable for three requests, the client's three attempts of
    // discover's first invocation, so the state machine retries the task once.
    const runner = await createLocalRunner({ runtime: env.runtime, waitMs: 5, retryIntervalMs: 5 });
    emulator.faults.add({
      id: "down",
      kind: "describeGlobal",
      times: 3,
      action: { type: "serverUnavailable" },
    });

    try {
      // Act
      const run = await runner.runSync({ objects: ["Account"] }, { name: "counted" });
      const count = countTransitions(run);

      // Assess
      expect(run.status, run.cause).toBe("SUCCEEDED");
      const entered = run.events.filter((event) => event.type === "StateEntered").length;
      expect(count.retries).toBe(1);
      expect(count.states).toBe(entered + ("children" in run ? sumChildStates(run.children) : 0));
      expect(count.transitions).toBe(count.states + 1);
      // At least discover, the object's start, fetch and commit, and the merge.
      expect(count.states).toBeGreaterThanOrEqual(5);
    } finally {
      emulator.faults.remove("down");
    }
  }, 60_000);
});

function sumChildStates(children: unknown): number {
  return (children as Array<{ states: string[] }>).reduce((sum, child) => sum + child.states.length, 0);
}
