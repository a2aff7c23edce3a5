/**
 * The commit index extract's commit writes for the lake: one pointer per committed run, numbered by the
 * stream's commit sequence in the same conditional write as the cursor, never a second one for a retried
 * commit, none for a run that lost its lease.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { ExtractState } from "../../../functions/core/extract/extract-state";
import type { Manifest } from "../../../functions/core/extract/manifest";
import { type CommitPointer, partFormat } from "../../../functions/core/lake/commit-index";
import { extractHandler } from "../../../functions/extract/handler";
import { driveDiscover, driveExtract } from "../../support/drive";
import { type Harness, startHarness } from "../../support/harness";

let harness: Harness | undefined;

afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

async function pointerAt(h: Harness, seq: number): Promise<CommitPointer | undefined> {
  const bytes = await h.runtime.store.get(h.runtime.layout.commitPointer("Account", seq));
  return bytes === undefined ? undefined : (JSON.parse(new TextDecoder().decode(bytes)) as CommitPointer);
}

describe("the commit index", () => {
  it("numbers each committed run and points at its manifest; a retried commit adds nothing", async () => {
    // Prepare
    harness = await startHarness();
    const h = harness;
    const key = { connection: h.runtime.config.connection, object: "Account" };
    let ready: ExtractState | undefined;
    const capture = {
      beforeAction: (action: string, event: unknown) => {
        if (action === "commit") ready = (event as { state: ExtractState }).state;
      },
    };

    // Act
    const [first] = (await driveDiscover(h.runtime, "sync-1", { objects: ["Account"] })).tasks;
    const one = await driveExtract(h.runtime, first as NonNullable<typeof first>, capture);
    const [second] = (await driveDiscover(h.runtime, "sync-2", { objects: ["Account"] })).tasks;
    const two = await driveExtract(h.runtime, second as NonNullable<typeof second>, capture);
    // Step Functions retries a commit whose answer was lost: the first attempt went through.
    const retried = await extractHandler.invoke({ action: "commit", state: ready }, h.runtime);

    // Assess
    expect(one).toMatchObject({ status: "succeeded", commitSeq: 1 });
    expect(two).toMatchObject({ status: "succeeded", commitSeq: 2 });
    expect(retried).toMatchObject({ status: "succeeded", commitSeq: 2, manifestKey: two.manifestKey });
    expect(await h.runtime.state.get(key)).toMatchObject({ commitSeq: 2, lastRunId: "sync-2" });
    expect(await pointerAt(h, 1)).toMatchObject({
      seq: 1,
      object: "Account",
      runId: "sync-1",
      runDate: one.runDate,
      manifestKey: one.manifestKey,
      catalogKey: first?.catalogKey,
    });
    // The pointer names the format its parts were written in (JSON lines or Parquet, by the settings).
    const manifest = JSON.parse(
      new TextDecoder().decode(await h.runtime.store.get(one.manifestKey as string)),
    ) as Manifest;
    expect((await pointerAt(h, 1))?.format).toBe(partFormat(manifest.parts[0]?.key ?? ""));
    expect(await pointerAt(h, 2)).toMatchObject({ seq: 2, runId: "sync-2", manifestKey: two.manifestKey });
    expect(await pointerAt(h, 3)).toBeUndefined();
  });

  it("writes no pointer for a run that lost its lease before committing", async () => {
    // Prepare: the run stops just before its commit (the state machine's abort releases its lease),
    // and another run takes the lease.
    harness = await startHarness();
    const h = harness;
    const key = { connection: h.runtime.config.connection, object: "Account" };
    const [task] = (await driveDiscover(h.runtime, "sync-1", { objects: ["Account"] })).tasks;
    let ready: ExtractState | undefined;
    const crash = {
      beforeAction: (action: string, event: unknown) => {
        if (action !== "commit") return;
        ready = (event as { state: ExtractState }).state;
        throw new Error("crashed before the commit");
      },
    };
    await expect(driveExtract(h.runtime, task as NonNullable<typeof task>, crash)).rejects.toThrow("crashed");
    await h.runtime.state.acquireLease(key, "sync-other", 60_000, Date.now());

    // Act
    const late = extractHandler.invoke({ action: "commit", state: ready }, h.runtime);

    // Assess
    await expect(late).rejects.toThrow("Run sync-1 lost the lease on Account: run sync-other holds it");
    expect(await pointerAt(h, 1)).toBeUndefined();
    expect((await h.runtime.state.get(key))?.commitSeq).toBeUndefined();
  });
});
