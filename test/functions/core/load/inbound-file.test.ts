import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { inboundFormatOf, openInbound } from "../../../../functions/core/load/inbound-file";
import type { LoadFile } from "../../../../functions/core/load/load-state";
import { ConfigurationError, DataError } from "../../../../functions/errors";
import { etagOf, MemoryStore } from "./memory-store";

async function readAll(source: AsyncIterable<Uint8Array>): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of source) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

async function stored(store: MemoryStore, key: string, body: string | Uint8Array): Promise<LoadFile> {
  await store.put(key, body);
  const version = etagOf(Buffer.from(body));
  return { bucket: store.bucket, key, version, claimVersion: version };
}

describe("inbound file", () => {
  it("tells the format from the name, gzipped or not, and refuses names that say nothing", () => {
    // Act & Assess
    expect(inboundFormatOf("inbound/Account/insert/a.CSV")).toBe("csv");
    expect(inboundFormatOf("inbound/Account/insert/a.csv.gz")).toBe("csv");
    expect(inboundFormatOf("inbound/Account/insert/a.jsonl")).toBe("jsonl");
    expect(inboundFormatOf("inbound/Account/insert/a.ndjson.gz")).toBe("jsonl");
    expect(() => inboundFormatOf("inbound/Account/insert/a.txt")).toThrow(DataError);
  });

  it("gunzips by magic bytes even without the suffix, and passes plain files through", async () => {
    // Prepare
    const store = new MemoryStore();
    const text = `Name\n${"Acme, Inc.\n".repeat(500)}`;
    const gz = await stored(store, "inbound/Account/insert/a.csv", gzipSync(Buffer.from(text)));
    const plain = await stored(store, "inbound/Account/insert/b.csv", text);
    const named = await stored(store, "inbound/Account/insert/c.csv.gz", gzipSync(Buffer.from(text)));

    // Act & Assess
    expect(await readAll(openInbound(store, gz))).toBe(text);
    expect(await readAll(openInbound(store, plain))).toBe(text);
    expect(await readAll(openInbound(store, named))).toBe(text);
  });

  it("rejects broken gzip, a .gz name on plain text, and a file that changed since it was claimed", async () => {
    // Prepare
    const store = new MemoryStore();
    const rows = Array.from({ length: 400 }, (_, i) => `Account ${(i * 7919) % 10007}`).join("\n");
    const whole = gzipSync(Buffer.from(`Name\n${rows}\n`));
    const truncated = whole.subarray(0, whole.length / 2);
    const broken = await stored(store, "inbound/Account/insert/broken.csv", truncated);
    const liar = await stored(store, "inbound/Account/insert/liar.csv.gz", "Name\nAcme\n");
    const changed = await stored(store, "inbound/Account/insert/changed.csv", "Name\nOld\n");
    await store.put(changed.key, "Name\nNew\n");

    // Act & Assess
    await expect(readAll(openInbound(store, broken))).rejects.toThrow(/not a valid gzip file/);
    await expect(readAll(openInbound(store, liar))).rejects.toThrow(/not gzip-compressed/);
    await expect(readAll(openInbound(store, changed))).rejects.toThrow(ConfigurationError);
  });
});
