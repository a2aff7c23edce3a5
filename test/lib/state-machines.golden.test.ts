import { beforeAll, describe, expect, it } from "vitest";
import type { ConnectorStack } from "../../lib/connector.stack";
import { synthConnector } from "./synth";

type Json = unknown;
interface State {
  Type: string;
  Resource?: string;
  Parameters?: Record<string, Json>;
  Retry?: Array<{
    ErrorEquals: string[];
    IntervalSeconds?: number;
    MaxAttempts?: number;
    BackoffRate?: number;
  }>;
  Catch?: Array<{ ErrorEquals: string[]; Next: string; ResultPath?: string }>;
  Choices?: Array<{ Variable: string; StringEquals?: string; Next: string }>;
  Default?: string;
  Next?: string;
  End?: boolean;
  MaxConcurrency?: number;
  ResultSelector?: Record<string, Json>;
  ItemProcessor?: { StartAt: string; States: Record<string, State> };
  [key: string]: Json;
}
interface Definition {
  StartAt: string;
  States: Record<string, State>;
  [key: string]: Json;
}

/**
 * The definition as deployed, with CloudFormation references written as readable placeholders: the
 * partition as `aws`, each function's ARN as `${<function>}`, the data bucket's name as `${bucket}`.
 */
function normalizedDefinition(stack: ConnectorStack, machine: "sync" | "load"): Definition {
  const stateMachine = machine === "sync" ? stack.syncStateMachine : stack.loadStateMachine;
  const functionNames = new Map(
    Object.values(stack.functions).map((fn) => [
      stack.getLogicalId(fn.node.defaultChild as never),
      fn.connectorFunction,
    ]),
  );
  const resource = stack.resolve(
    (stateMachine.node.defaultChild as unknown as { definitionString: unknown }).definitionString,
  ) as string | { "Fn::Join": [string, Json[]] };
  const parts = typeof resource === "string" ? [resource] : resource["Fn::Join"][1];
  const bucketId = stack.getLogicalId(stack.bucket.node.defaultChild as never);
  const text = parts
    .map((part) => {
      if (typeof part === "string") return part;
      const token = part as Record<string, Json>;
      if ("Ref" in token && token.Ref === "AWS::Partition") return "aws";
      if ("Ref" in token && token.Ref === bucketId) return `\${bucket}`;
      if ("Fn::GetAtt" in token) {
        const [id, attribute] = token["Fn::GetAtt"] as [string, string];
        const name = functionNames.get(id);
        if (name && attribute === "Arn") return `\${${name}}`;
      }
      throw new Error(`Unexpected token in the definition: ${JSON.stringify(token)}`);
    })
    .join("");
  return JSON.parse(text) as Definition;
}

function allStates(definition: { States: Record<string, State> }): Array<[string, State]> {
  return Object.entries(definition.States).flatMap(([name, state]) => [
    [name, state] as [string, State],
    ...(state.ItemProcessor ? allStates(state.ItemProcessor) : []),
  ]);
}

describe("state machine definitions", () => {
  let stack: ConnectorStack;
  beforeAll(() => {
    stack = synthConnector().stack;
  });

  it.each(["sync", "load"] as const)(
    "the %s definition matches its reviewed golden copy",
    async (machine) => {
      // Act
      const definition = normalizedDefinition(stack, machine);

      // Assess
      await expect(`${JSON.stringify(definition, null, 2)}\n`).toMatchFileSnapshot(
        `__snapshots__/${machine}-state-machine.asl.json`,
      );
    },
  );

  it.each(["sync", "load"] as const)(
    "every %s task retries transient and rate-limit errors and is caught",
    (machine) => {
      // Prepare
      const definition = normalizedDefinition(stack, machine);
      const tasks = allStates(definition).filter(([, state]) => state.Type === "Task");

      // Assess
      expect(tasks.length).toBeGreaterThan(4);
      for (const [name, task] of tasks) {
        const retry = (error: string) => task.Retry?.find((retrier) => retrier.ErrorEquals.includes(error));
        expect(retry("TransientError"), name).toMatchObject({
          IntervalSeconds: 5,
          BackoffRate: 2,
          MaxAttempts: 5,
        });
        expect(retry("RateLimitError"), name).toMatchObject({
          IntervalSeconds: 60,
          BackoffRate: 2,
          MaxAttempts: 3,
        });
        expect(retry("Lambda.ServiceException"), name).toBeDefined();
        expect(task.TimeoutSeconds, name).toBeGreaterThan(0);
        const isLast = name === "Discover objects" || name === "Summarize run";
        if (!isLast) expect(task.Catch?.[0]?.ErrorEquals, name).toEqual(["States.ALL"]);
      }
    },
  );

  it("fans objects out as STANDARD child executions of a Distributed Map, from S3 to S3, and keeps one failure inside its child", () => {
    // Prepare
    const definition = normalizedDefinition(stack, "sync");
    const map = definition.States["Extract each object"] as State;
    const inner = map.ItemProcessor?.States ?? {};

    // Assess
    // The items are discover's plan in S3, the outcomes go to S3: the state holds neither. The run id is
    // added per item from the Map's input. A child that fails outright is the summary's to report.
    expect(map).toMatchObject({
      Type: "Map",
      ItemReader: {
        Resource: "arn:aws:states:::s3:getObject",
        ReaderConfig: { InputType: "JSON" },
        Parameters: { Bucket: `\${bucket}`, "Key.$": "$.objectsKey" },
      },
      ItemProcessor: { ProcessorConfig: { Mode: "DISTRIBUTED", ExecutionType: "STANDARD" } },
      ResultWriter: {
        Resource: "arn:aws:states:::s3:putObject",
        Parameters: { Bucket: `\${bucket}`, Prefix: "salesforce/acme/runs/_map-results" },
      },
      ResultPath: "$.results",
      MaxConcurrency: 6,
      ToleratedFailurePercentage: 100,
      ItemSelector: { "runId.$": "$.runId", "object.$": "$$.Map.Item.Value.object" },
    });
    expect(map.ItemsPath).toBeUndefined();
    expect(definition.States["Summarize run"]?.Parameters?.Payload).toMatchObject({
      "resultWriter.$": "$.results.ResultWriterDetails",
      "failed.$": "$.failed",
    });
    // An iteration keeps only short fields of commit's and abort's answers until the summary.
    expect(Object.keys(inner["Commit object"]?.ResultSelector ?? {}).sort()).toEqual(
      [
        "apiCalls.$",
        "deletes.$",
        "object.$",
        "partial.$",
        "reconciled.$",
        "records.$",
        "runDate.$",
        "status.$",
      ].sort(),
    );
    expect(Object.keys(inner["Record object failure"]?.ResultSelector ?? {}).sort()).toEqual(
      ["apiCalls.$", "errorName.$", "object.$", "status.$"].sort(),
    );
    expect(map.Catch).toBeUndefined();
    for (const name of [
      "Start extract",
      "Check Bulk job",
      "Download pages",
      "Compare Ids in lake",
      "Commit object",
    ]) {
      expect(inner[name]?.Catch).toEqual([
        { ErrorEquals: ["States.ALL"], ResultPath: "$.caught", Next: "Record object failure" },
      ]);
    }
    expect(inner["Record object failure"]?.Catch?.[0]?.Next).toBe("Summarize object failure");
    expect(inner["Summarize object failure"]?.End).toBe(true);
    expect(inner["Next step"]?.Choices?.map((choice) => [choice.StringEquals, choice.Next])).toEqual([
      ["polling", "Wait for Bulk job"],
      ["fetching", "Download pages"],
      ["comparing", "Compare Ids in lake"],
      ["ready", "Commit object"],
    ]);
    // The lake compares a reconciling run's Id snapshot, then the run goes on through the same choice.
    expect(inner["Compare Ids in lake"]?.Next).toBe("Next step");
  });

  it("routes every load status through one choice", () => {
    // Prepare
    const definition = normalizedDefinition(stack, "load");

    // Assess
    expect(definition.StartAt).toBe("Claim file");
    expect(
      definition.States["Next step"]?.Choices?.map((choice) => [choice.StringEquals, choice.Next]),
    ).toEqual([
      ["duplicate", "Already loaded"],
      ["submitting", "Validate and submit"],
      ["polling", "Wait for load job"],
      ["collecting", "Collect results"],
      ["retrying", "Wait before retry"],
      ["finishing", "Finish load"],
    ]);
    expect(definition.States["Wait before retry"]?.Next).toBe("Validate and submit");
    expect(definition.States["Load incomplete"]).toMatchObject({
      Type: "Fail",
      Error: "RowsNotLoaded",
      CausePath: "$.message",
    });
  });
});
