import { createHash, randomFillSync } from "node:crypto";
import { Readable } from "node:stream";
import { ListMultipartUploadsCommand, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAwsClients } from "../../../functions/aws/clients";
import { S3ObjectStore, UPLOAD_PART_SIZE } from "../../../functions/aws/s3-object-store";
import type { ObjectInfo } from "../../../functions/core/ports";
import { ConfigurationError } from "../../../functions/errors";
import { LOCAL_S3_CREDENTIALS, type LocalS3, type ObjectCreatedEvent, startS3 } from "../../../local/aws/s3";

const BUCKET = "lake";
const MIB = 1024 * 1024;

/** Pseudo-random chunks made on the fly, hashed as they are produced; nothing holds the whole body. */
function generated(totalBytes: number, failAfterBytes?: number): { body: Readable; sha256: () => string } {
  const hash = createHash("sha256");
  async function* chunks(): AsyncGenerator<Uint8Array> {
    let sent = 0;
    while (sent < totalBytes) {
      if (failAfterBytes !== undefined && sent >= failAfterBytes) throw new Error("source failed mid-stream");
      const chunk = randomFillSync(Buffer.alloc(Math.min(MIB, totalBytes - sent)));
      hash.update(chunk);
      sent += chunk.length;
      yield chunk;
    }
  }
  return { body: Readable.from(chunks()), sha256: () => hash.digest("hex") };
}

async function sha256Of(body: Readable): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of body) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

async function collect(iterable: AsyncIterable<ObjectInfo>): Promise<ObjectInfo[]> {
  const out: ObjectInfo[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe("S3ObjectStore", () => {
  let s3: LocalS3;
  let client: S3Client;
  let store: S3ObjectStore;
  const events: ObjectCreatedEvent[] = [];

  beforeAll(async () => {
    s3 = await startS3({ buckets: [BUCKET] });
    s3.onObjectCreated((event) => events.push(event));
    client = createAwsClients({
      region: "us-east-1",
      endpoints: { s3: s3.endpoint },
      credentials: LOCAL_S3_CREDENTIALS,
    }).s3;
    store = new S3ObjectStore(client, BUCKET, { listPageSize: 2 });
  });

  afterAll(async () => {
    client.destroy();
    await s3.stop();
  });

  it("puts, gets and heads a small object with an unquoted ETag", async () => {
    // Prepare
    const body = JSON.stringify({ object: "Account", version: 3 });

    // Act
    const put = await store.put("catalog/Account/v3.json", body, { contentType: "application/json" });
    const got = await store.get("catalog/Account/v3.json");
    const head = await store.head("catalog/Account/v3.json");

    // Assess
    expect(new TextDecoder().decode(got)).toBe(body);
    expect(put.etag).toMatch(/^[0-9a-f]{32}$/);
    expect(head).toMatchObject({ key: "catalog/Account/v3.json", size: body.length, etag: put.etag });
    expect(head?.lastModified).toBeInstanceOf(Date);
  });

  it("answers undefined for a missing key and a ConfigurationError naming bucket and key when streaming it", async () => {
    // Act
    const got = await store.get("missing/key.json");
    const head = await store.head("missing/key.json");
    const stream = store.stream("missing/key.json");

    // Assess
    expect(got).toBeUndefined();
    expect(head).toBeUndefined();
    await expect(stream).rejects.toBeInstanceOf(ConfigurationError);
    await expect(stream).rejects.toThrow(`s3://${BUCKET}/missing/key.json`);
  });

  it("deletes an object, and deleting a missing one is no error", async () => {
    // Prepare
    await store.put("lake-local/Account/0000000001.parquet", "table");

    // Act
    await store.delete("lake-local/Account/0000000001.parquet");
    await store.delete("lake-local/Account/0000000001.parquet");

    // Assess
    expect(await store.head("lake-local/Account/0000000001.parquet")).toBeUndefined();
  });

  it("lists every object under a prefix in key order across pages", async () => {
    // Prepare
    const keys = ["list/c.json", "list/a.json", "list/e.json", "list/b.json", "list/d.json", "other/x.json"];
    for (const key of keys) await store.put(key, key);

    // Act
    const listed = await collect(store.list("list/"));

    // Assess: five objects over pages of two.
    expect(listed.map((info) => info.key)).toEqual([
      "list/a.json",
      "list/b.json",
      "list/c.json",
      "list/d.json",
      "list/e.json",
    ]);
    expect(listed.every((info) => info.size === 11 && /^[0-9a-f]{32}$/.test(info.etag ?? ""))).toBe(true);
  });

  it("uploads a stream of more than two 8 MiB parts byte-exact and counts its bytes", async () => {
    // Prepare
    const total = 2 * UPLOAD_PART_SIZE + 3 * MIB + 17;
    const source = generated(total);

    // Act
    const result = await store.upload("data/Account/part-00000.jsonl.gz", source.body, {
      contentEncoding: "gzip",
    });
    const { body, info } = await store.stream("data/Account/part-00000.jsonl.gz");
    const downloaded = await sha256Of(body);

    // Assess
    expect(result.bytes).toBe(total);
    expect(info.size).toBe(total);
    expect(info.etag).toBe(result.etag);
    expect(downloaded).toBe(source.sha256());
    await expect
      .poll(() => events.find((event) => event.key === "data/Account/part-00000.jsonl.gz"))
      .toMatchObject({ size: total, eTag: result.etag, reason: "CompleteMultipartUpload" });
  });

  it("uploads a body smaller than one part in a single request", async () => {
    // Prepare
    const chunks = [new TextEncoder().encode('{"Id":"001"}\n'), new TextEncoder().encode('{"Id":"002"}\n')];

    // Act
    const result = await store.upload(
      "data/small.jsonl",
      (async function* () {
        yield* chunks;
      })(),
    );
    const got = await store.get("data/small.jsonl");

    // Assess
    expect(result.bytes).toBe(26);
    expect(new TextDecoder().decode(got)).toBe('{"Id":"001"}\n{"Id":"002"}\n');
    await expect
      .poll(() => events.find((event) => event.key === "data/small.jsonl")?.reason)
      .toBe("PutObject");
  });

  it("aborts the multipart upload when the source fails, leaving no object and no parts", async () => {
    // Prepare: the source fails after two whole parts have been handed to S3.
    const source = generated(4 * UPLOAD_PART_SIZE, 2 * UPLOAD_PART_SIZE + MIB);

    // Act
    const upload = store.upload("data/Broken/part-00000.jsonl.gz", source.body);

    // Assess
    await expect(upload).rejects.toThrow("source failed mid-stream");
    expect(await store.head("data/Broken/part-00000.jsonl.gz")).toBeUndefined();
    const pending = await client.send(
      new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: "data/Broken/" }),
    );
    expect(pending.Uploads ?? []).toEqual([]);
  });

  it("reports a missing bucket as a ConfigurationError", async () => {
    // Prepare
    const wrong = new S3ObjectStore(client, "no-such-bucket");

    // Act
    const put = wrong.put("key", "body");

    // Assess
    await expect(put).rejects.toBeInstanceOf(ConfigurationError);
    await expect(put).rejects.toThrow("bucket no-such-bucket does not exist");
  });
});
