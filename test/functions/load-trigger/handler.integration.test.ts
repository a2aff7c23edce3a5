import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { SFNClient } from "@aws-sdk/client-sfn";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Layout } from "../../../functions/core/layout";
import type { Log } from "../../../functions/core/ports";
import { createLoadTrigger } from "../../../functions/load-trigger/handler";

const STATE_MACHINE = "arn:aws:states:us-east-1:000000000000:stateMachine:saddledata-acme-load";

interface StartExecution {
  stateMachineArn: string;
  name: string;
  input: string;
}

/**
 * Step Functions' StartExecution over its JSON 1.0 protocol, as the SDK speaks it: a second execution
 * with a name already used answers ExecutionAlreadyExists; a state machine named "broken" answers 500.
 */
function startStepFunctions(): Promise<{ server: Server; endpoint: string; started: StartExecution[] }> {
  const started: StartExecution[] = [];
  const read = async (request: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    return JSON.parse(Buffer.concat(chunks).toString("utf8")) as StartExecution;
  };
  const server = createServer((request, response) => {
    void read(request).then((body) => {
      response.setHeader("content-type", "application/x-amz-json-1.0");
      if (request.headers["x-amz-target"] !== "AWSStepFunctions.StartExecution") {
        response.statusCode = 400;
        response.end(JSON.stringify({ __type: "UnknownOperationException", message: "unexpected" }));
        return;
      }
      if (body.stateMachineArn.endsWith(":broken")) {
        response.statusCode = 500;
        response.end(JSON.stringify({ __type: "InternalFailure", message: "boom" }));
        return;
      }
      const executionArn = `${body.stateMachineArn.replace(":stateMachine:", ":execution:")}:${body.name}`;
      if (started.some((execution) => execution.name === body.name)) {
        response.statusCode = 400;
        response.end(
          JSON.stringify({
            __type: "ExecutionAlreadyExists",
            message: `Execution Already Exists: '${executionArn}'`,
          }),
        );
        return;
      }
      started.push(body);
      response.end(JSON.stringify({ executionArn, startDate: Date.now() / 1000 }));
    });
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolve({ server, endpoint: `http://127.0.0.1:${port}`, started });
    });
  });
}

function objectCreated(key: string, etag = "b1946ac92492d2347c6235b4d2611184") {
  return {
    version: "0",
    id: "17793124-05d4-b198-2fde-7ededc63b103",
    "detail-type": "Object Created",
    source: "aws.s3",
    account: "111122223333",
    time: "2026-01-12T00:00:00Z",
    region: "us-east-1",
    resources: ["arn:aws:s3:::acme-data"],
    detail: {
      version: "0",
      bucket: { name: "acme-data" },
      object: {
        key,
        size: 5,
        etag,
        "version-id": "IYV3p45BT0ac8hjHg1houSdS1a.Mro8e",
        sequencer: "617f08299329d189",
      },
      "request-id": "N4N7GDK58NMKJ12R",
      requester: "111122223333",
      "source-ip-address": "1.2.3.4",
      reason: "PutObject",
    },
  };
}

function recordingLog() {
  const lines: Array<{ level: string; message: string; extra?: Record<string, unknown> }> = [];
  const write = (level: string) => (message: string, extra?: Record<string, unknown>) =>
    lines.push({ level, message, ...(extra ? { extra } : {}) });
  const log: Log = { debug: write("debug"), info: write("info"), warn: write("warn"), error: write("error") };
  return { log, lines };
}

describe("load trigger", () => {
  let stepFunctions: Awaited<ReturnType<typeof startStepFunctions>>;
  let sfn: SFNClient;
  beforeAll(async () => {
    stepFunctions = await startStepFunctions();
    sfn = new SFNClient({
      endpoint: stepFunctions.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
      maxAttempts: 1,
    });
  });
  afterAll(async () => {
    sfn.destroy();
    await new Promise<void>((resolve) => stepFunctions.server.close(() => resolve()));
  });
  beforeEach(() => {
    stepFunctions.started.length = 0;
  });

  it("starts the load state machine with the event as input, named after the file version", async () => {
    // Prepare
    const { log, lines } = recordingLog();
    const trigger = createLoadTrigger({
      sfn,
      stateMachineArn: STATE_MACHINE,
      layout: new Layout("lake"),
      log,
    });
    const event = objectCreated("lake/inbound/Account/insert/accounts.csv");

    // Act
    const result = await trigger(event);

    // Assess
    expect(result).toMatchObject({
      status: "started",
      executionName: expect.stringMatching(/^Account-insert-accounts-csv-/),
    });
    expect(stepFunctions.started).toEqual([
      { stateMachineArn: STATE_MACHINE, name: result.executionName, input: JSON.stringify(event) },
    ]);
    expect(lines).toEqual([expect.objectContaining({ level: "info", message: "load started" })]);
  });

  it("answers a second delivery of the same event as a duplicate and logs it, starting nothing", async () => {
    // Prepare
    const { log, lines } = recordingLog();
    const trigger = createLoadTrigger({
      sfn,
      stateMachineArn: STATE_MACHINE,
      layout: new Layout("lake"),
      log,
    });
    const event = objectCreated("lake/inbound/Contact/update/contacts.csv");
    const first = await trigger(event);

    // Act
    const second = await trigger(event);

    // Assess
    expect(second).toEqual({ status: "duplicate", executionName: first.executionName });
    expect(stepFunctions.started).toHaveLength(1);
    expect(lines.at(-1)).toMatchObject({
      level: "warn",
      extra: { key: "lake/inbound/Contact/update/contacts.csv" },
    });
  });

  it("starts a new load for a new version of the same file", async () => {
    // Prepare
    const trigger = createLoadTrigger({
      sfn,
      stateMachineArn: STATE_MACHINE,
      layout: new Layout("lake"),
      log: recordingLog().log,
    });
    const first = objectCreated("lake/inbound/Contact/update/contacts.csv");
    const second = {
      ...first,
      detail: { ...first.detail, object: { ...first.detail.object, "version-id": "other" } },
    };

    // Act
    const results = [await trigger(first), await trigger(second)];

    // Assess
    expect(results.map((result) => result.status)).toEqual(["started", "started"]);
    expect(stepFunctions.started).toHaveLength(2);
  });

  it("refuses an event that is not S3's Object Created, naming what is wrong", async () => {
    // Prepare
    const trigger = createLoadTrigger({
      sfn,
      stateMachineArn: STATE_MACHINE,
      layout: new Layout(),
      log: recordingLog().log,
    });

    // Act
    const attempt = trigger({ source: "aws.s3", "detail-type": "Object Deleted", detail: {} });

    // Assess
    await expect(attempt).rejects.toMatchObject({
      name: "ConfigurationError",
      message: expect.stringMatching(/detail-type/),
    });
    expect(stepFunctions.started).toHaveLength(0);
  });

  it("lets any other failure of StartExecution through, so the event is retried", async () => {
    // Prepare
    const trigger = createLoadTrigger({
      sfn,
      stateMachineArn: "arn:aws:states:us-east-1:000000000000:stateMachine:broken",
      layout: new Layout(),
      log: recordingLog().log,
    });

    // Act
    const attempt = trigger(objectCreated("inbound/Account/insert/a.csv"));

    // Assess
    await expect(attempt).rejects.toMatchObject({ name: "InternalFailure" });
  });
});
