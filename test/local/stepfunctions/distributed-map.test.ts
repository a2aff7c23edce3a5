import { describe, expect, it } from "vitest";
import {
  applyTemplate,
  asLocalDefinition,
  type ChildRun,
  type DistributedMapState,
  LOCAL_DISTRIBUTED_MAP,
  type MapRunDeps,
  readPath,
  runDistributedMap,
} from "../../../local/stepfunctions/distributed-map";
import { MemoryObjectStore } from "../../support/memory-stores";

const ARN = "arn:aws:states:us-east-1:000000000000:stateMachine:sync";

function mapState(overrides: Partial<DistributedMapState> = {}): DistributedMapState {
  return {
    Type: "Map",
    ItemReader: {
      Resource: "arn:aws:states:::s3:getObject",
      ReaderConfig: { InputType: "JSON" },
      Parameters: { Bucket: "bucket", "Key.$": "$.itemsKey" },
    },
    ItemSelector: { "run.$": "$.run", "name.$": "$$.Map.Item.Value.name", "index.$": "$$.Map.Item.Index" },
    ItemProcessor: {
      ProcessorConfig: { Mode: "DISTRIBUTED" },
      StartAt: "P",
      States: { P: { Type: "Pass", End: true } },
    },
    MaxConcurrency: 3,
    ResultWriter: {
      Resource: "arn:aws:states:::s3:putObject",
      Parameters: { Bucket: "bucket", Prefix: "out/results" },
    },
    ...overrides,
  };
}

/** Children answered here: an item named "bad…" fails, the others echo their input. */
function deps(store: MemoryObjectStore, ran: unknown[] = []): MapRunDeps {
  let running = 0;
  return {
    store,
    region: "us-east-1",
    account: "000000000000",
    context: { Execution: { Name: "parent" } },
    stateMachineArn: ARN,
    async runChild(input, name, executionArn): Promise<ChildRun> {
      running++;
      ran.push({ input, running });
      await new Promise((resolve) => setImmediate(resolve));
      running--;
      const failed = String((input as { name?: string }).name).startsWith("bad");
      return {
        name,
        executionArn,
        status: failed ? "FAILED" : "SUCCEEDED",
        ...(failed ? { error: "Boom", cause: "it failed" } : { output: { echoed: input } }),
        startDate: "2026-12-07T00:00:00.000Z",
        stopDate: "2026-12-07T00:00:01.000Z",
      };
    },
  };
}

async function json(store: MemoryObjectStore, key: string): Promise<unknown> {
  const bytes = await store.get(key);
  if (!bytes) throw new Error(`no object at ${key}`);
  return JSON.parse(new TextDecoder().decode(bytes));
}

describe("a Distributed Map carried out locally", () => {
  it("reads the items from the bucket, selects each, runs them bounded and writes ResultWriter's files", async () => {
    // Prepare
    const store = new MemoryObjectStore("bucket");
    const items = Array.from({ length: 7 }, (_, index) => ({ name: index === 4 ? "bad4" : `item${index}` }));
    await store.put("in/items.json", JSON.stringify(items));
    const ran: Array<{ input: unknown; running: number }> = [];

    // Act
    const run = await runDistributedMap(
      "Each item",
      mapState({ ToleratedFailurePercentage: 100 }),
      { run: "r1", itemsKey: "in/items.json" },
      deps(store, ran as unknown[]),
    );

    // Assess: the state's output is the Map run and where its manifest is.
    const id = run.mapRunArn.split(":").at(-1);
    expect(run.mapRunArn).toBe(`arn:aws:states:us-east-1:000000000000:mapRun:sync/Each item:${id}`);
    expect(run.output).toEqual({
      MapRunArn: run.mapRunArn,
      ResultWriterDetails: { Bucket: "bucket", Key: `out/results/${id}/manifest.json` },
    });
    expect(ran.map((entry) => entry.input)).toEqual(
      items.map((item, index) => ({ run: "r1", name: item.name, index })),
    );
    expect(Math.max(...ran.map((entry) => entry.running))).toBe(3);
    // The manifest names one file per status that has results; the files hold each child as JSON text.
    expect(await json(store, `out/results/${id}/manifest.json`)).toEqual({
      DestinationBucket: "bucket",
      MapRunArn: run.mapRunArn,
      ResultFiles: {
        FAILED: [{ Key: `out/results/${id}/FAILED_0.json`, Size: expect.any(Number) }],
        PENDING: [],
        SUCCEEDED: [{ Key: `out/results/${id}/SUCCEEDED_0.json`, Size: expect.any(Number) }],
      },
    });
    const succeeded = (await json(store, `out/results/${id}/SUCCEEDED_0.json`)) as Array<
      Record<string, unknown>
    >;
    expect(succeeded).toHaveLength(6);
    expect(succeeded[0]).toEqual({
      ExecutionArn: expect.stringMatching(
        /^arn:aws:states:us-east-1:000000000000:execution:sync\/Each item:/,
      ),
      Input: JSON.stringify({ run: "r1", name: "item0", index: 0 }),
      InputDetails: { Included: true },
      Name: expect.any(String),
      Output: JSON.stringify({ echoed: { run: "r1", name: "item0", index: 0 } }),
      OutputDetails: { Included: true },
      RedriveCount: 0,
      RedriveStatus: "NOT_REDRIVABLE",
      StartDate: "2026-12-07T00:00:00.000Z",
      StateMachineArn: `${ARN}/Each item`,
      Status: "SUCCEEDED",
      StopDate: "2026-12-07T00:00:01.000Z",
    });
    const failed = (await json(store, `out/results/${id}/FAILED_0.json`)) as Array<Record<string, unknown>>;
    expect(failed).toEqual([
      expect.objectContaining({
        Input: JSON.stringify({ run: "r1", name: "bad4", index: 4 }),
        Error: "Boom",
        Cause: "it failed",
        Status: "FAILED",
      }),
    ]);
    expect(failed[0]).not.toHaveProperty("Output");
  });

  it("fails with States.ExceedToleratedFailureThreshold past the tolerated failures, after writing the results", async () => {
    // Prepare: 1 of 4 fails (25 %).
    const store = new MemoryObjectStore("bucket");
    await store.put(
      "items.json",
      JSON.stringify([{ name: "a" }, { name: "bad" }, { name: "b" }, { name: "c" }]),
    );
    const input = { itemsKey: "items.json", run: "r" };
    const attempt = (tolerated: Partial<DistributedMapState>) =>
      runDistributedMap("M", mapState(tolerated), input, deps(store));

    // Act / Assess: with neither threshold, none is tolerated; each threshold given counts on its own.
    await expect(attempt({})).rejects.toMatchObject({ name: "States.ExceedToleratedFailureThreshold" });
    await expect(attempt({ ToleratedFailurePercentage: 20 })).rejects.toMatchObject({
      name: "States.ExceedToleratedFailureThreshold",
    });
    await expect(attempt({ ToleratedFailurePercentage: 25 })).resolves.toBeDefined();
    await expect(attempt({ ToleratedFailureCount: 1 })).resolves.toBeDefined();
    await expect(attempt({ ToleratedFailureCount: 1, ToleratedFailurePercentage: 10 })).rejects.toMatchObject(
      {
        name: "States.ExceedToleratedFailureThreshold",
      },
    );
    // Each attempt wrote its results all the same: five Map runs, five manifests.
    const manifests = [...store.objects.keys()].filter((key) => key.endsWith("/manifest.json"));
    expect(manifests).toHaveLength(5);
  });

  it("reads JSON lines and MaxItems; refuses another bucket, a missing object and a reader it cannot run", async () => {
    // Prepare
    const store = new MemoryObjectStore("bucket");
    await store.put("items.jsonl", '{"name":"a"}\n{"name":"b"}\n\n{"name":"c"}\n');
    const reader = (fields: Record<string, unknown>) =>
      mapState({
        ItemReader: {
          Resource: "arn:aws:states:::s3:getObject",
          ReaderConfig: { InputType: "JSONL", MaxItems: 2 },
          Parameters: { Bucket: "bucket", Key: "items.jsonl" },
          ...fields,
        },
      });
    const input = { run: "r" };

    // Act
    const run = await runDistributedMap("M", reader({}), input, deps(store));
    const elsewhere = runDistributedMap(
      "M",
      reader({ Parameters: { Bucket: "another", Key: "items.jsonl" } }),
      input,
      deps(store),
    );
    const missing = runDistributedMap(
      "M",
      reader({ Parameters: { Bucket: "bucket", Key: "nope" } }),
      input,
      deps(store),
    );
    const listing = runDistributedMap(
      "M",
      reader({ Resource: "arn:aws:states:::s3:listObjectsV2" }),
      input,
      deps(store),
    );

    // Assess
    expect(run.children).toHaveLength(2);
    await expect(elsewhere).rejects.toMatchObject({ name: "States.ItemReaderFailed" });
    await expect(missing).rejects.toMatchObject({ name: "States.ItemReaderFailed" });
    await expect(listing).rejects.toMatchObject({ name: "States.ItemReaderFailed" });
  });

  it("without a ResultWriter answers the children's outputs in item order, from ItemsPath", async () => {
    // Prepare
    const store = new MemoryObjectStore("bucket");
    const state = mapState({
      ItemReader: undefined,
      ResultWriter: undefined,
      ItemsPath: "$.list",
      ItemSelector: undefined,
    });

    // Act
    const run = await runDistributedMap("M", state, { list: [{ name: "x" }, { name: "y" }] }, deps(store));

    // Assess
    expect(run.output).toEqual([{ echoed: { name: "x" } }, { echoed: { name: "y" } }]);
    expect(store.objects.size).toBe(0);
  });

  it("hands the library a Task of the same name in its place, keeping the fields a Task shares with a Map", () => {
    // Prepare
    const definition = {
      StartAt: "Before",
      States: {
        Before: { Type: "Pass", Next: "M" },
        M: {
          ...mapState(),
          ResultPath: "$.results",
          Next: "After",
          Catch: [{ ErrorEquals: ["States.ALL"], Next: "After" }],
        },
        Inline: {
          Type: "Map",
          ItemProcessor: { ProcessorConfig: { Mode: "INLINE" }, StartAt: "P", States: {} },
          End: true,
        },
        After: { Type: "Succeed" },
      },
    };

    // Act
    const local = asLocalDefinition(definition);

    // Assess
    expect(local.definition.States.M).toEqual({
      Type: "Task",
      Resource: LOCAL_DISTRIBUTED_MAP,
      // Not the library's 60 s default for a Task (a Map run lasts as long as its children), and no more
      // than a Node timer holds: 2,147,483 s (a longer one would fire at once).
      TimeoutSeconds: 2_147_483,
      ResultPath: "$.results",
      Next: "After",
      Catch: [{ ErrorEquals: ["States.ALL"], Next: "After" }],
    });
    expect(local.definition.States.Inline).toBe(definition.States.Inline);
    expect([...local.maps.keys()]).toEqual(["M"]);
  });

  it("evaluates the reference paths the definitions use and refuses richer ones", () => {
    // Prepare
    const input = { a: { b: [1, 2] }, run: "r" };
    const context = { Map: { Item: { Value: { object: "Account" }, Index: 3 } } };

    // Act / Assess
    expect(readPath("$", input, context)).toBe(input);
    expect(readPath("$.a.b", input, context)).toEqual([1, 2]);
    expect(readPath("$$.Map.Item.Index", input, context)).toBe(3);
    expect(
      applyTemplate(
        { "runId.$": "$.run", fixed: "x", nested: { "object.$": "$$.Map.Item.Value.object" } },
        input,
        context,
      ),
    ).toEqual({ runId: "r", fixed: "x", nested: { object: "Account" } });
    expect(() => readPath("$.missing", input, context)).toThrow(/could not be found/);
    expect(() => readPath("$.a.b[0]", input, context)).toThrow(/cannot evaluate/);
    expect(() => applyTemplate({ "x.$": "States.Format('{}', $.run)" }, input, context)).toThrow(
      /cannot evaluate/,
    );
  });
});
