import { PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../../emulator/index";
import { LOCAL_REGION } from "../../../functions/aws/clients";
import { clearSessionCache } from "../../../functions/salesforce/client";
import type { ObjectCreatedEvent } from "../../../local/aws/s3";
import { toEventBridgeEvent } from "../../../local/aws/s3-event";
import { type LocalEnvironment, startLocalEnvironment } from "../../../local/environment";
import { createLocalRunner, type LocalRunner } from "../../../local/stepfunctions/state-machine";
import { LOCAL_ACCOUNT } from "../../../local/stepfunctions/synthesized-stack";
import { memoryLog } from "../../support/memory-log";

const KEY = "lake/inbound/Account/insert/new-accounts.csv";
const NAMES = ["Saddle Test One", "Saddle Test Two, Ltd.", 'Saddle "Three"'];

/**
 * A file put into the local S3 becomes the event EventBridge would deliver; the inbound rule's pattern,
 * the trigger's execution name and the synthesized load state machine take it from there, against the
 * Salesforce emulator.
 */
describe("load triggered by an S3 put, through the synthesized state machine", () => {
  let emulator: Emulator;
  let env: LocalEnvironment;
  let runner: LocalRunner;
  const created: ObjectCreatedEvent[] = [];
  let inbound: ObjectCreatedEvent | undefined;

  beforeAll(async () => {
    clearSessionCache();
    emulator = await startEmulator({ bulk: { queuedMs: 5, processingMsPer10k: 5 } });
    env = await startLocalEnvironment({
      connection: "e2e",
      credentials: { ...emulator.credentials, loginUrl: emulator.url },
      settings: { lagSeconds: 0, lookbackSeconds: 0 },
      prefix: "lake",
      log: memoryLog(),
    });
    env.aws?.s3.onObjectCreated((event) => created.push(event));
    runner = await createLocalRunner({ runtime: env.runtime, waitMs: 5, retryIntervalMs: 5 });
  }, 60_000);

  afterAll(async () => {
    await env?.stop();
    await emulator?.stop();
    clearSessionCache();
  });

  const accountsNamed = () =>
    [
      ...emulator.org
        .query("SELECT Id, Name FROM Account WHERE Name LIKE 'Saddle %'", { includeDeleted: false })
        .rows(),
    ]
      .map((row) => String(row.values[1]))
      .sort();

  async function putInbound(body: string): Promise<ObjectCreatedEvent> {
    const before = created.length;
    await env.clients.s3.send(
      new PutObjectCommand({
        Bucket: env.runtime.config.bucket,
        Key: KEY,
        Body: body,
        ContentType: "text/csv",
      }),
    );
    const deadline = Date.now() + 5000;
    while (created.length === before && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 10));
    const event = created.at(-1);
    if (created.length === before || !event) throw new Error("the local S3 announced no created object");
    return event;
  }

  it("loads the file once, and a second delivery of the same event starts nothing", async () => {
    // Prepare
    const csv = `Name,Industry\r\n${NAMES.map((name) => `"${name.replaceAll('"', '""')}",Energy`).join("\r\n")}\r\n`;
    const objectCreated = await putInbound(csv);
    inbound = objectCreated;
    const event = toEventBridgeEvent(objectCreated, { account: LOCAL_ACCOUNT, region: LOCAL_REGION });
    const accountsBefore = emulator.org.count("Account");

    // Act
    const first = await runner.triggerLoad(event);
    const second = await runner.triggerLoad(event);

    // Assess
    expect(event).toMatchObject({
      source: "aws.s3",
      "detail-type": "Object Created",
      detail: { reason: "PutObject" },
    });
    expect(first.status).toBe("started");
    if (first.status !== "started") return;
    expect(first.execution.status, `${first.execution.error}: ${first.execution.cause}`).toBe("SUCCEEDED");
    expect(first.executionName).toMatch(/^Account-insert-new-accounts-csv-[0-9a-f]{12}$/);
    expect(accountsNamed()).toEqual([...NAMES].sort());
    expect(emulator.org.count("Account")).toBe(accountsBefore + NAMES.length);
    const summary = await env.runtime.store.get(`${env.runtime.layout.resultsFolder(KEY)}summary.json`);
    expect(summary).toBeDefined();
    expect(second).toEqual({ status: "duplicate", executionName: first.executionName });
    // The load's own result files are created objects too: the inbound rule does not match them.
    const results = created.filter((event) => event.key.startsWith("lake/results/"));
    expect(results.length).toBeGreaterThan(0);
    for (const result of results) {
      const ignored = await runner.triggerLoad(
        toEventBridgeEvent(result, { account: LOCAL_ACCOUNT, region: LOCAL_REGION }),
      );
      expect(ignored).toEqual({ status: "ignored" });
    }
  }, 120_000);

  it("lets the file claim stop a redelivery that reaches a new execution", async () => {
    // Prepare: a runner that has never seen the name, as after a restart; the state table remembers.
    const fresh = await createLocalRunner({ runtime: env.runtime, waitMs: 5, retryIntervalMs: 5 });
    const objectCreated = inbound;
    if (!objectCreated) throw new Error("the first test put no file");
    const event = toEventBridgeEvent(objectCreated, { account: LOCAL_ACCOUNT, region: LOCAL_REGION });
    const accountsBefore = emulator.org.count("Account");

    // Act
    const again = await fresh.triggerLoad(event);

    // Assess
    expect(again.status).toBe("started");
    if (again.status !== "started") return;
    expect(again.execution.status).toBe("SUCCEEDED");
    expect(again.execution.states).toEqual(["Claim file", "Next step", "Already loaded"]);
    expect(emulator.org.count("Account")).toBe(accountsBefore);
  }, 60_000);
});
