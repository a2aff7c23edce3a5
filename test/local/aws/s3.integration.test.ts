import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  NoSuchUpload,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { afterEach, describe, expect, it } from "vitest";
import { createAwsClients } from "../../../functions/aws/clients";
import { LOCAL_S3_CREDENTIALS, type LocalS3, type ObjectCreatedEvent, startS3 } from "../../../local/aws/s3";

const BUCKET = "lake";

describe("local S3 (s3rver)", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function start(directory?: string): Promise<{ s3: LocalS3; client: S3Client }> {
    const s3 = await startS3({ buckets: [BUCKET], ...(directory === undefined ? {} : { directory }) });
    const { s3: client } = createAwsClients({
      region: "us-east-1",
      endpoints: { s3: s3.endpoint },
      credentials: LOCAL_S3_CREDENTIALS,
    });
    cleanups.push(
      () => s3.stop(),
      () => client.destroy(),
    );
    return { s3, client };
  }

  it("serves a completed PUT whole to the next GET, overwrite after overwrite", async () => {
    // Prepare: bodies big enough that a write still being flushed would show.
    const { client } = await start();
    const bodies = [0, 1, 2, 3, 4, 5].map((n) => Buffer.alloc(4 * 1024 * 1024 + n * 997, 65 + n));

    // Act / Assess
    for (const body of bodies) {
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: "checkpoint.json", Body: body }));
      const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: "checkpoint.json" }));
      const bytes = Buffer.from(
        await (got.Body as Readable & { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
      );
      expect(bytes.length).toBe(body.length);
      expect(bytes.equals(body)).toBe(true);
    }
  });

  it("lets a reader see the old object or the new one during an overwrite, never a part", async () => {
    // Prepare
    const { client } = await start();
    const read = async () => {
      const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: "state.json" }));
      return Buffer.from(
        await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
      );
    };
    const before = Buffer.alloc(8 * 1024 * 1024, 66);
    const after = Buffer.alloc(8 * 1024 * 1024 + 13, 67);
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: "state.json", Body: before }));

    // Act: read while the overwrite is being written.
    const writing = client.send(new PutObjectCommand({ Bucket: BUCKET, Key: "state.json", Body: after }));
    const seen: Buffer[] = [];
    for (let n = 0; n < 12; n++) seen.push(await read());
    await writing;
    seen.push(await read());

    // Assess
    for (const bytes of seen) expect(bytes.equals(before) || bytes.equals(after)).toBe(true);
    expect(seen.at(-1)?.equals(after)).toBe(true);
  });

  it("serves put, get with ETag, head and ListObjectsV2 paging through the SDK", async () => {
    // Prepare
    const { client } = await start();
    for (const key of ["a/1.json", "a/2.json", "a/3.json", "b/1.json"]) {
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: `{"key":"${key}"}` }));
    }

    // Act
    const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: "a/2.json" }));
    const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: "a/2.json" }));
    const first = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: "a/", MaxKeys: 2 }));
    const second = await client.send(
      new ListObjectsV2Command({
        Bucket: BUCKET,
        Prefix: "a/",
        MaxKeys: 2,
        ContinuationToken: first.NextContinuationToken,
      }),
    );
    const folders = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Delimiter: "/" }));

    // Assess
    expect(await got.Body?.transformToString()).toBe('{"key":"a/2.json"}');
    expect(got.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(head.ETag).toBe(got.ETag);
    expect(head.ContentLength).toBe(18);
    expect(first.Contents?.map((object) => object.Key)).toEqual(["a/1.json", "a/2.json"]);
    expect(first.IsTruncated).toBe(true);
    expect(second.Contents?.map((object) => object.Key)).toEqual(["a/3.json"]);
    expect(second.IsTruncated).toBe(false);
    expect(folders.CommonPrefixes?.map((common) => common.Prefix)).toEqual(["a/", "b/"]);
    expect(folders.Contents ?? []).toEqual([]);
  });

  it("stores streamed bodies byte-exact with the compatibility settings, and not with the SDK defaults", async () => {
    // Prepare: a client with the SDK's default checksum behaviour next to the factory's client.
    const { s3, client } = await start();
    const defaults = new S3Client({
      region: "us-east-1",
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials: LOCAL_S3_CREDENTIALS,
    });
    cleanups.push(() => defaults.destroy());
    const body = "streamed body";

    // Act
    for (const [key, sender] of [
      ["compatible.txt", client],
      ["defaults.txt", defaults],
    ] as const) {
      await sender.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: key,
          Body: Readable.from([Buffer.from(body)]),
          ContentLength: body.length,
        }),
      );
    }
    const read = async (key: string) =>
      (await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body?.transformToString();

    // Assess: the default client sends aws-chunked framing with a trailing checksum, which s3rver keeps.
    expect(await read("compatible.txt")).toBe(body);
    const corrupted = await read("defaults.txt");
    expect(corrupted).not.toBe(body);
    expect(corrupted).toContain("x-amz-checksum-crc32");
  });

  it("announces created objects with bucket, key, size, ETag and the reason S3 gives", async () => {
    // Prepare
    const { s3, client } = await start();
    const events: ObjectCreatedEvent[] = [];
    s3.onObjectCreated((event) => events.push(event));
    const part = Buffer.alloc(5 * 1024 * 1024, 7);

    // Act
    await client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: "inbound/put file é.csv", Body: "Name\nAcme\n" }),
    );
    await client.send(
      new CopyObjectCommand({
        Bucket: BUCKET,
        Key: "inbound/copy.csv",
        CopySource: encodeURI(`${BUCKET}/inbound/put file é.csv`),
      }),
    );
    const { UploadId } = await client.send(
      new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: "inbound/multi.csv" }),
    );
    const parts = [];
    for (const [index, body] of [part, Buffer.from("tail")].entries()) {
      const { ETag } = await client.send(
        new UploadPartCommand({
          Bucket: BUCKET,
          Key: "inbound/multi.csv",
          UploadId,
          PartNumber: index + 1,
          Body: body,
        }),
      );
      parts.push({ ETag, PartNumber: index + 1 });
    }
    await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: BUCKET,
        Key: "inbound/multi.csv",
        UploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
    await expect.poll(() => events.length).toBe(3);
    const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: "inbound/multi.csv" }));

    // Assess
    const byKey = Object.fromEntries(events.map((event) => [event.key, event]));
    expect(byKey["inbound/put file é.csv"]).toMatchObject({ bucket: BUCKET, size: 10, reason: "PutObject" });
    expect(byKey["inbound/copy.csv"]).toMatchObject({
      size: 10,
      eTag: byKey["inbound/put file é.csv"]?.eTag,
      reason: "CopyObject",
    });
    expect(byKey["inbound/multi.csv"]).toMatchObject({
      size: part.length + 4,
      eTag: head.ETag?.replaceAll('"', ""),
      reason: "CompleteMultipartUpload",
    });
  });

  it("stops announcing to a listener once it unsubscribes", async () => {
    // Prepare
    const { s3, client } = await start();
    const seen: string[] = [];
    const all: string[] = [];
    const unsubscribe = s3.onObjectCreated((event) => seen.push(event.key));
    s3.onObjectCreated((event) => all.push(event.key));

    // Act
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: "one", Body: "1" }));
    await expect.poll(() => seen.length).toBe(1);
    unsubscribe();
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: "two", Body: "2" }));
    await expect.poll(() => all.length).toBe(2);

    // Assess
    expect(seen).toEqual(["one"]);
  });

  it("lists and aborts multipart uploads in progress, which s3rver alone does not", async () => {
    // Prepare
    const { client } = await start();
    const { UploadId } = await client.send(
      new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: "big/file" }),
    );
    await client.send(
      new UploadPartCommand({ Bucket: BUCKET, Key: "big/file", UploadId, PartNumber: 1, Body: "part" }),
    );

    // Act
    const during = await client.send(new ListMultipartUploadsCommand({ Bucket: BUCKET }));
    await client.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: "big/file", UploadId }));
    const after = await client.send(new ListMultipartUploadsCommand({ Bucket: BUCKET }));
    const again = client.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: "big/file", UploadId }));

    // Assess
    expect(during.Uploads?.map((upload) => [upload.Key, upload.UploadId])).toEqual([["big/file", UploadId]]);
    expect(after.Uploads ?? []).toEqual([]);
    await expect(again).rejects.toBeInstanceOf(NoSuchUpload);
    await expect(
      client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: "big/file" })),
    ).rejects.toMatchObject({
      name: "NotFound",
    });
  });

  it("keeps objects in a given directory across restarts and removes only its own temporary directory", async () => {
    // Prepare
    const directory = await mkdtemp(join(tmpdir(), "saddledata-test-s3-"));
    cleanups.push(() => rm(directory, { recursive: true, force: true }));
    const first = await start(directory);
    await first.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: "kept.txt", Body: "kept" }));
    await first.s3.stop();
    const temporary = await startS3();

    // Act
    const second = await start(directory);
    const got = await second.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: "kept.txt" }));
    await temporary.stop();

    // Assess
    expect(await got.Body?.transformToString()).toBe("kept");
    expect(existsSync(directory)).toBe(true);
    expect(existsSync(temporary.directory)).toBe(false);
  });
});
