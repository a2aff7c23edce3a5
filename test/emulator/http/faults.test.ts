import { describe, expect, it } from "vitest";
import { EmulatorInputError } from "../../../emulator/errors";
import { Faults } from "../../../emulator/http/faults";

function fire(faults: Faults, n: number, kind: "query" | "describe" = "query"): boolean[] {
  return Array.from(
    { length: n },
    () => faults.evaluate(kind, "GET", "/services/data/v62.0/query").terminal !== undefined,
  );
}

describe("Faults", () => {
  it("fires once by default, after skipping `after` matching requests", () => {
    // Prepare
    const faults = new Faults(1, () => {});
    faults.add({ kind: "query", after: 2, action: { type: "serverUnavailable" } });
    // Act
    const fired = fire(faults, 5);
    // Assess
    expect(fired).toEqual([false, false, true, false, false]);
    expect(faults.fired()).toMatchObject([{ ruleId: "fault-1", action: "serverUnavailable", kind: "query" }]);
  });

  it("matches only the kinds, methods and paths it names", () => {
    // Prepare
    const faults = new Faults(1, () => {});
    faults.add({ kind: "describe", times: 5, action: { type: "serverError" } });
    faults.add({ method: "POST", path: "/jobs/ingest$", times: 5, action: { type: "requestLimitExceeded" } });
    // Act
    const query = faults.evaluate("query", "GET", "/services/data/v62.0/query");
    const ingestGet = faults.evaluate("bulkIngestList", "GET", "/services/data/v62.0/jobs/ingest");
    const ingestPost = faults.evaluate("bulkIngestCreate", "POST", "/services/data/v62.0/jobs/ingest");
    const describeCall = faults.evaluate("describe", "GET", "/services/data/v62.0/sobjects/Account/describe");
    // Assess
    expect(query.terminal).toBeUndefined();
    expect(ingestGet.terminal).toBeUndefined();
    expect(ingestPost.terminal).toEqual({ type: "requestLimitExceeded" });
    expect(describeCall.terminal).toEqual({ type: "serverError" });
  });

  it("draws `rate` from a PRNG seeded by the emulator seed: same seed, same requests fail", () => {
    // Prepare
    const a = new Faults(42, () => {});
    const b = new Faults(42, () => {});
    const c = new Faults(7, () => {});
    for (const faults of [a, b, c])
      faults.add({ kind: "query", rate: 0.3, action: { type: "serverUnavailable" } });
    // Act
    const [runA, runB, runC] = [fire(a, 200), fire(b, 200), fire(c, 200)];
    // Assess
    expect(runA).toEqual(runB);
    expect(runA).not.toEqual(runC);
    const count = runA.filter(Boolean).length;
    expect(count).toBeGreaterThan(30);
    expect(count).toBeLessThan(90);
  });

  it("applies side effects (delay, lockRows, failJob) and lets the request through", () => {
    // Prepare
    const locked: string[][] = [];
    const faults = new Faults(1, (ids) => locked.push(ids));
    faults.add({ kind: "bulkIngestClose", action: { type: "lockRows", ids: ["001A"], times: 2 } });
    faults.add({ kind: "bulkIngestClose", action: { type: "delay", ms: 25 } });
    faults.add({
      kind: "bulkIngestClose",
      action: { type: "failJob", errorMessage: "boom", afterBatches: 1 },
    });
    // Act
    const outcome = faults.evaluate("bulkIngestClose", "PATCH", "/x");
    // Assess
    expect(outcome).toEqual({ delayMs: 25 });
    expect(locked).toEqual([["001A"]]);
    expect(faults.takeJobFailure("ingest")).toEqual({ errorMessage: "boom", afterBatches: 1 });
    expect(faults.takeJobFailure("ingest")).toBeUndefined();
    expect(faults.takeJobFailure("query")).toBeUndefined();
  });

  it("rejects malformed rules with a EmulatorInputError", () => {
    const faults = new Faults(1, () => {});
    expect(() => faults.add({ kind: "nope" as "query", action: { type: "serverUnavailable" } })).toThrow(
      EmulatorInputError,
    );
    expect(() => faults.add({ rate: 2, action: { type: "serverUnavailable" } })).toThrow(EmulatorInputError);
    expect(() => faults.add({ action: { type: "teleport" } as never })).toThrow(EmulatorInputError);
  });

  it("clear removes every rule; remove one by id", () => {
    // Prepare
    const faults = new Faults(1, () => {});
    const id = faults.add({ kind: "query", times: 10, action: { type: "serverUnavailable" } });
    faults.add({ kind: "describe", action: { type: "serverUnavailable" } });
    // Act
    const removed = faults.remove(id);
    const afterRemove = faults.rules().length;
    faults.clear();
    // Assess
    expect(removed).toBe(true);
    expect(afterRemove).toBe(1);
    expect(faults.rules()).toEqual([]);
    expect(fire(faults, 2)).toEqual([false, false]);
  });
});
