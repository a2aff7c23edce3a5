import { describe, expect, it } from "vitest";
import { PartWriter } from "../../../../functions/core/load/part-writer";
import { MemoryStore } from "./memory-store";

describe("part writer", () => {
  it("streams many writes into one object and counts what it was given", async () => {
    // Prepare
    const store = new MemoryStore();
    const writer = new PartWriter(store, "parts/a.csv");
    const line = Buffer.from(`${"x".repeat(999)}\n`);

    // Act
    for (let i = 0; i < 600; i++) await writer.write(line);
    const bytes = await writer.close();

    // Assess
    expect(bytes).toBe(600_000);
    expect(writer.count).toBe(600);
    expect(store.objects.get("parts/a.csv")?.length).toBe(600_000);
  });

  it("creates no object when nothing was written, or when aborted", async () => {
    // Prepare
    const store = new MemoryStore();
    const idle = new PartWriter(store, "parts/idle.csv");
    const aborted = new PartWriter(store, "parts/aborted.csv");

    // Act
    const idleBytes = await idle.close();
    await aborted.write(Buffer.alloc(300 * 1024, 0x61));
    await aborted.abort(new Error("stop"));

    // Assess
    expect(idleBytes).toBe(0);
    expect(idle.started).toBe(false);
    expect(store.objects.has("parts/idle.csv")).toBe(false);
    expect(store.objects.has("parts/aborted.csv")).toBe(false);
  });

  it("stops a writer waiting for the upload to drain when the upload fails, with the upload's error", async () => {
    // Prepare: an upload that never reads its body, then fails.
    const store = new MemoryStore();
    store.upload = async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      throw new Error("simulated: S3 refused the upload");
    };
    const writer = new PartWriter(store, "parts/refused.csv");
    const chunk = Buffer.alloc(256 * 1024, 0x61);

    // Act: the stream's buffer fills at once, so the second write waits for a drain that never comes.
    const writing = (async () => {
      for (let i = 0; i < 10; i++) await writer.write(chunk);
    })();

    // Assess
    await expect(writing).rejects.toThrow("S3 refused the upload");
    await expect(writer.close()).rejects.toThrow("S3 refused the upload");
  });
});
