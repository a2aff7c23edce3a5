import { describe, expect, it } from "vitest";
import * as z from "zod";
import {
  CaughtErrorSchema,
  caughtErrorSummary,
  continuation,
} from "../../../functions/runtime/step-functions";

describe("the Step Functions boundary", () => {
  it("reads the error Step Functions caught, from a Lambda's JSON cause or a plain one", () => {
    // Act & Assess
    expect(
      caughtErrorSummary({
        Error: "DataError",
        Cause: JSON.stringify({ errorType: "DataError", errorMessage: "bad file" }),
      }),
    ).toEqual({ name: "DataError", message: "bad file" });
    expect(caughtErrorSummary({ Error: "States.Timeout", Cause: "Task timed out" })).toEqual({
      name: "States.Timeout",
      message: "Task timed out",
    });
    expect(caughtErrorSummary({ Error: "States.TaskFailed" })).toEqual({
      name: "States.TaskFailed",
      message: "",
    });
  });

  it("keeps 2,000 characters of a caught message, for the extract and the load alike", () => {
    // Prepare
    const long = "x".repeat(5000);
    // Act
    const summary = caughtErrorSummary({
      Error: "TransientError",
      Cause: JSON.stringify({ errorMessage: long }),
    });
    // Assess
    expect(summary.message).toHaveLength(2000);
  });

  it("parses a Catch output and keeps its other fields", () => {
    // Act
    const parsed = CaughtErrorSchema.parse({ Error: "E", Cause: "c", extra: 1 });
    // Assess
    expect(parsed).toEqual({ Error: "E", Cause: "c", extra: 1 });
    expect(CaughtErrorSchema.safeParse({ Cause: "no name" }).success).toBe(false);
  });

  it("checks a continuation's marker fields and passes the rest through as written", () => {
    // Prepare
    const State = continuation<{ runId: string; parts: number[] }>(z.object({ runId: z.string().min(1) }));
    // Act & Assess
    expect(State.parse({ runId: "r1", parts: [1, 2] })).toEqual({ runId: "r1", parts: [1, 2] });
    expect(State.safeParse({ parts: [] }).success).toBe(false);
  });
});
