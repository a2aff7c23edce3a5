import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claimLoad, type DuplicateLoad } from "../../../../functions/core/load/claim";
import type { LoadState } from "../../../../functions/core/load/load-state";
import { ConfigurationError } from "../../../../functions/errors";
import { type LocalEnvironment, startLocalEnvironment } from "../../../../local/environment";
import { memoryLog } from "../../../support/memory-log";
import { loadDeps } from "./load-deps";

let env: LocalEnvironment;

beforeAll(async () => {
  env = await startLocalEnvironment({ connection: "test", log: memoryLog() });
});

afterAll(async () => {
  await env.stop();
});

function event(key: string, etag: string) {
  return {
    "detail-type": "Object Created",
    source: "aws.s3",
    detail: { bucket: { name: env.runtime.config.bucket }, object: { key, etag, size: 10 } },
  };
}

async function put(key: string, body: string): Promise<string> {
  await env.runtime.store.put(key, body);
  const info = await env.runtime.store.head(key);
  return info?.etag as string;
}

describe("load claim", () => {
  it("claims a file once: the second delivery of the same event reports the first run", async () => {
    // Prepare
    const deps = loadDeps(env.runtime);
    const key = "inbound/Account/insert/once.csv";
    const etag = await put(key, "Name\nAcme\n");

    // Act
    const first = (await claimLoad(deps, { request: event(key, etag), runId: "run-1" })) as LoadState;
    const second = (await claimLoad(deps, { request: event(key, etag), runId: "run-2" })) as DuplicateLoad;

    // Assess
    expect(first).toMatchObject({
      status: "submitting",
      runId: "run-1",
      phase: "validate",
      file: { key, version: etag, claimVersion: etag },
      target: { object: "Account", operation: "insert" },
      resultsFolder: `results/${key}/`,
    });
    expect(second).toMatchObject({
      status: "duplicate",
      runId: "run-2",
      firstRunId: "run-1",
      latestStatus: "loading",
    });
    expect(second.message).toContain("run-1");
  });

  it("lets a manual retry take over a failed run only, once", async () => {
    // Prepare
    const deps = loadDeps(env.runtime);
    const key = "inbound/Invoice__c/upsert/ERP_Id__c/retry.csv";
    const etag = await put(key, "ERP_Id__c\nX-1\n");
    const request = { bucket: env.runtime.config.bucket, key };
    const first = (await claimLoad(deps, { request, runId: "try-1" })) as LoadState;

    // Act
    const whileLoading = (await claimLoad(deps, {
      request: { ...request, retry: true },
      runId: "try-2",
    })) as DuplicateLoad;
    await env.runtime.state.finishFile(
      { bucket: request.bucket, key, version: etag },
      "try-1",
      { status: "failed" },
      new Date(),
    );
    const takeover = (await claimLoad(deps, {
      request: { ...request, retry: true },
      runId: "try-3",
    })) as LoadState;
    const again = (await claimLoad(deps, {
      request: { ...request, retry: true },
      runId: "try-4",
    })) as DuplicateLoad;
    const redelivered = (await claimLoad(deps, {
      request: event(key, etag),
      runId: "try-5",
    })) as DuplicateLoad;

    // Assess
    expect(first.target).toEqual({ object: "Invoice__c", operation: "upsert", externalIdField: "ERP_Id__c" });
    expect(whileLoading).toMatchObject({
      status: "duplicate",
      latestRunId: "try-1",
      latestStatus: "loading",
    });
    expect(takeover.status).toBe("submitting");
    expect(takeover.file.claimVersion).toBe(`${etag}#retry:try-1`);
    expect(again).toMatchObject({
      status: "duplicate",
      firstRunId: "try-1",
      latestRunId: "try-3",
      latestStatus: "loading",
    });
    expect(redelivered).toMatchObject({ status: "duplicate", firstRunId: "try-1", latestRunId: "try-3" });
  });

  it("stands down when the file was replaced after the event, and refuses what it cannot load", async () => {
    // Prepare
    const deps = loadDeps(env.runtime);
    const key = "inbound/Account/update/replaced.csv";
    const oldEtag = await put(key, "Id,Name\n001000000000001AAA,Old\n");
    await put(key, "Id,Name\n001000000000001AAA,New\n");

    // Act
    const stale = (await claimLoad(deps, {
      request: event(key, oldEtag),
      runId: "stale-1",
    })) as DuplicateLoad;
    const claim = await env.runtime.state.getFile({
      bucket: env.runtime.config.bucket,
      key,
      version: oldEtag,
    });

    // Assess
    expect(stale).toMatchObject({ status: "duplicate", latestStatus: "superseded" });
    expect(claim?.status).toBe("failed");
    await expect(
      claimLoad(deps, {
        request: { bucket: env.runtime.config.bucket, key: "inbound/Account/insert/missing.csv" },
      }),
    ).rejects.toThrow(/does not exist/);
    await put("inbound/Account/upsert/no-field.csv", "Name\nA\n");
    await expect(
      claimLoad(deps, {
        request: { bucket: env.runtime.config.bucket, key: "inbound/Account/upsert/no-field.csv" },
      }),
    ).rejects.toThrow(ConfigurationError);
  });
});
