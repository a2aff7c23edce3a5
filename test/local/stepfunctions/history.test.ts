import { StateMachine } from "aws-local-stepfunctions";
import { describe, expect, it } from "vitest";
import {
  HistoryCount,
  historyLimitError,
  MAX_HISTORY_EVENTS,
  stateKinds,
} from "../../../local/stepfunctions/history";

const LAMBDA = "arn:aws:lambda:us-east-1:000000000000:function:f";

/** Run a definition through aws-local-stepfunctions and count its history as local mode does. */
async function historyOf(
  definition: { StartAt: string; States: Record<string, unknown> },
  handlers: Record<string, (input: unknown) => Promise<unknown>>,
  input: unknown = {},
): Promise<number> {
  const machine = new StateMachine(definition as never);
  const execution = machine.run(
    input as never,
    {
      overrides: {
        taskResourceLocalHandlers: handlers,
        retryIntervalOverrides: { Work: 0 },
        waitTimeOverrides: { Pause: 0 },
      },
    } as never,
  );
  const count = new HistoryCount(stateKinds(definition));
  const counting = (async () => {
    for await (const event of execution.eventLogs) count.add(event as never);
  })();
  await execution.result.catch(() => undefined);
  await counting;
  return count.events;
}

describe("the execution history local mode counts", () => {
  it("counts each state as AWS records it: Task 5, Choice, Wait and Pass 2, Succeed 2, the execution 2", async () => {
    // Prepare
    const definition = {
      StartAt: "Work",
      States: {
        Work: { Type: "Task", Resource: LAMBDA, Next: "Pause" },
        Pause: { Type: "Wait", Seconds: 1, Next: "Route" },
        Route: {
          Type: "Choice",
          Choices: [{ Variable: "$.done", BooleanEquals: true, Next: "Done" }],
          Default: "Note",
        },
        Note: { Type: "Pass", Next: "Done" },
        Done: { Type: "Succeed" },
      },
    };

    // Act
    const events = await historyOf(definition, { Work: async () => ({ done: false }) });

    // Assess
    expect(events).toBe(2 + 5 + 2 + 2 + 2 + 2);
  });

  it("adds TaskFailed and a new TaskScheduled and TaskStarted for each retry; a caught failure exits once", async () => {
    // Prepare: two failures retried, then success; then a task whose failure is caught.
    let attempts = 0;
    const failing = (name: string) => {
      const failure = new Error("no");
      failure.name = name;
      return failure;
    };
    const definition = {
      StartAt: "Work",
      States: {
        Work: {
          Type: "Task",
          Resource: LAMBDA,
          Retry: [{ ErrorEquals: ["Flaky"], MaxAttempts: 5, IntervalSeconds: 1 }],
          Next: "Risky",
        },
        Risky: {
          Type: "Task",
          Resource: LAMBDA,
          Catch: [{ ErrorEquals: ["States.ALL"], Next: "Failed" }],
          End: true,
        },
        Failed: { Type: "Fail", Error: "Failed" },
      },
    };

    // Act
    const events = await historyOf(definition, {
      Work: async () => {
        attempts++;
        if (attempts <= 2) throw failing("Flaky");
        return {};
      },
      Risky: async () => {
        throw failing("Broken");
      },
    });

    // Assess: started; Work 5 + 2 retries × 3 (TaskFailed, TaskScheduled, TaskStarted); Risky entered,
    // scheduled, started, failed, exited (5); FailStateEntered; ExecutionFailed.
    expect(attempts).toBe(3);
    expect(events).toBe(1 + (5 + 2 * 3) + 5 + 1 + 1);
  });

  it("counts an inline Map's iterations in the execution (2 each and their states) and a Distributed Map as 6", async () => {
    // Prepare
    const inline = {
      StartAt: "Each",
      States: {
        Each: {
          Type: "Map",
          ItemsPath: "$.items",
          ItemProcessor: {
            ProcessorConfig: { Mode: "INLINE" },
            StartAt: "Step",
            States: { Step: { Type: "Pass", End: true } },
          },
          End: true,
        },
      },
    };
    const distributed = {
      StartAt: "Fan",
      States: {
        Fan: {
          Type: "Map",
          ItemProcessor: {
            ProcessorConfig: { Mode: "DISTRIBUTED" },
            StartAt: "Inner",
            States: { Inner: { Type: "Pass", End: true } },
          },
          End: true,
        },
      },
    };
    const count = new HistoryCount(stateKinds(distributed));

    // Act
    const inlineEvents = await historyOf(inline, {}, { items: [1, 2, 3] });
    // What the library reports for the Task that stands in for the Distributed Map.
    for (const event of [
      { type: "ExecutionStarted" },
      { type: "StateEntered", state: { name: "Fan" } },
      { type: "StateExited", state: { name: "Fan" } },
      { type: "ExecutionSucceeded" },
    ])
      count.add(event);

    // Assess: started, MapStateEntered, MapStateStarted, 3 × (iteration started, Pass 2, iteration
    // succeeded), MapStateSucceeded, MapStateExited, succeeded.
    expect(inlineEvents).toBe(1 + 2 + 3 * 4 + 2 + 1);
    expect(count.events).toBe(2 + 6);
    expect(stateKinds(distributed).has("Inner")).toBe(false);
  });

  it("is full at 25,000 and fails as AWS does, with States.Runtime", () => {
    // Prepare
    const count = new HistoryCount(new Map([["Loop", "Other"]]));
    count.add({ type: "ExecutionStarted" });

    // Act
    let entries = 0;
    while (!count.full) {
      count.add({ type: "StateEntered", state: { name: "Loop" } });
      entries++;
    }

    // Assess
    expect(entries).toBe(MAX_HISTORY_EVENTS - 1);
    expect(historyLimitError()).toMatchObject({
      name: "States.Runtime",
      message: "The execution reached the maximum number of history events (25000).",
    });
  });
});
