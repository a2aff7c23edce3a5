import { PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { RouteKind } from "../../../emulator/http/route-kind";
import { type Emulator, startEmulator } from "../../../emulator/index";
import { demoObjects } from "../../../emulator/org/demo-schema";
import { createOrg } from "../../../emulator/org/org";
import { LOCAL_REGION } from "../../../functions/aws/clients";
import type { LoadSummary } from "../../../functions/core/load/load-state";
import { clearSessionCache } from "../../../functions/salesforce/client";
import type { ObjectCreatedEvent } from "../../../local/aws/s3";
import { toEventBridgeEvent } from "../../../local/aws/s3-event";
import { type LocalEnvironment, startLocalEnvironment } from "../../../local/environment";
import { createLocalRunner, type LocalRunner } from "../../../local/stepfunctions/state-machine";
import { LOCAL_ACCOUNT } from "../../../local/stepfunctions/synthesized-stack";
import { driveMerge, driveSync } from "../../support/drive";
import { memoryLog } from "../../support/memory-log";

const FOLDER = "lake/inbound/Account/upsert/ERP_Id__c";
const CSV = `ERP_Id__c,Name,NumberOfEmployees\n${Array.from({ length: 40 }, (_, n) => `SM-${n},Machine ${n},${n}`).join("\n")}\n`;
const DATA_KINDS: RouteKind[] = ["query", "queryMore", "collections", "bulkIngestCreate", "bulkQueryCreate"];

/**
 * Files put into the local S3 start the synthesized load state machine (the inbound rule, the trigger's
 * execution name), with the connection's `load.skipUnchanged` on: a file put again after a sync sends
 * nothing and spends no API call on its data; a file under `dry-run/` ends in "Dry run planned".
 */
describe("skipUnchanged and dry runs through the synthesized load state machine", () => {
  let emulator: Emulator;
  let env: LocalEnvironment;
  let runner: LocalRunner;
  const created: ObjectCreatedEvent[] = [];

  beforeAll(async () => {
    clearSessionCache();
    const org = createOrg({ seed: 3, now: Date.now(), objects: demoObjects() });
    emulator = await startEmulator({ org, bulk: { queuedMs: 5, processingMsPer10k: 5 } });
    env = await startLocalEnvironment({
      connection: "e2e",
      credentials: { ...emulator.credentials, loginUrl: emulator.url },
      settings: { lagSeconds: 0, lookbackSeconds: 0, load: { skipUnchanged: true } },
      prefix: "lake",
      log: memoryLog(),
    });
    env.aws?.s3.onObjectCreated((event) => created.push(event));
    runner = await createLocalRunner({ runtime: env.runtime, waitMs: 5, retryIntervalMs: 5 });
  }, 60_000);

  afterAll(async () => {
    vi.restoreAllMocks();
    await env?.stop();
    await emulator?.stop();
    clearSessionCache();
  });

  async function putAndLoad(key: string, body: string) {
    const before = created.length;
    await env.clients.s3.send(
      new PutObjectCommand({
        Bucket: env.runtime.config.bucket,
        Key: key,
        Body: body,
        ContentType: "text/csv",
      }),
    );
    const deadline = Date.now() + 5000;
    while (created.length === before && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 10));
    const event = created.at(-1);
    if (created.length === before || !event) throw new Error("the local S3 announced no created object");
    const started = await runner.triggerLoad(
      toEventBridgeEvent(event, { account: LOCAL_ACCOUNT, region: LOCAL_REGION }),
    );
    if (started.status !== "started") throw new Error(`no load started: ${started.status}`);
    return started.execution;
  }

  it("sends nothing the second time, with no API call for the data, and plans a dry-run file", async () => {
    // Prepare: the file loaded once, then a sync and its merge bring the lake up to date.
    const first = await putAndLoad(`${FOLDER}/day-1.csv`, CSV);
    expect(first.status, `${first.error}: ${first.cause}`).toBe("SUCCEEDED");
    // Time passes before the sync (this process's clock, which the org's, the load's and the sync's
    // read): its window holds the loaded rows and ends over two minutes after the load did.
    const realNow = Date.now.bind(Date);
    vi.spyOn(Date, "now").mockImplementation(() => realNow() + 200_000);
    await driveSync(env.runtime, "sync-1", { objects: ["Account"], mode: "incremental" });
    const index = JSON.parse(
      new TextDecoder().decode(await env.runtime.store.get(env.runtime.layout.catalogIndex())),
    ) as {
      streams: Record<string, { key: string }>;
    };
    await driveMerge(env.runtime, {
      runId: "sync-1",
      object: "Account",
      catalogKey: index.streams.Account?.key ?? "",
    });
    emulator.calls.reset();

    // Act
    const second = await putAndLoad(`${FOLDER}/day-2.csv`, CSV);
    const dataCalls = DATA_KINDS.reduce((sum, kind) => sum + emulator.calls.count(kind), 0);
    const dry = await putAndLoad(`${FOLDER}/dry-run/day-3.csv`, CSV.replace("Machine 7,", "Machine seven,"));

    // Assess
    expect(second.status, `${second.error}: ${second.cause}`).toBe("SUCCEEDED");
    expect(second.states.at(-1)).toBe("Load succeeded");
    const summary = second.output as LoadSummary;
    expect(summary.counts).toMatchObject({ read: 40, succeeded: 0, unchanged: 40 });
    expect(summary.diffSource?.source).toBe("lake");
    expect(dataCalls).toBe(0);
    expect(dry.status, `${dry.error}: ${dry.cause}`).toBe("SUCCEEDED");
    expect(dry.states.at(-1)).toBe("Dry run planned");
    expect((dry.output as LoadSummary).planned).toMatchObject({ update: 1, unchanged: 39 });
    expect(emulator.calls.count("collections")).toBe(0);
  }, 120_000);
});
