import { createHash, randomFillSync } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { ListMultipartUploadsCommand, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAwsClients } from "../../../functions/aws/clients";
import { S3ObjectStore } from "../../../functions/aws/s3-object-store";
import { MIN_PART_SIZE, PartedUpload } from "../../../functions/aws/s3-parted-upload";
import { LOCAL_S3_CREDENTIALS, type LocalS3, startS3 } from "../../../local/aws/s3";

const BUCKET = "parts";
const MIB = 1024 * 1024;

/** 1 MiB pseudo-random chunks, hashed and counted as the upload pulls them. */
function source(totalBytes: number) {
  const hash = createHash("sha256");
  const state = { pulled: 0 };
  async function* chunks(): AsyncGenerator<Uint8Array> {
    while (state.pulled < totalBytes) {
      const chunk = randomFillSync(Buffer.alloc(Math.min(MIB, totalBytes - state.pulled)));
      hash.update(chunk);
      state.pulled += chunk.length;
      yield chunk;
    }
  }
  return { body: chunks(), state, sha256: () => hash.digest("hex") };
}

/** A real client whose UploadPart requests wait for `open()` (or fail, when asked) before they are sent. */
function gatedClient(endpoint: string, failPart?: number) {
  const client = createAwsClients({
    region: "us-east-1",
    endpoints: { s3: endpoint },
    credentials: LOCAL_S3_CREDENTIALS,
  }).s3;
  let open: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  const started: number[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === "UploadPartCommand") {
        const number = (args.input as { PartNumber: number }).PartNumber;
        started.push(number);
        if (number === failPart) throw Object.assign(new Error("part refused"), { name: "InternalError" });
        if (failPart === undefined) await gate;
      }
      return next(args);
    },
    { step: "initialize", name: "gateUploadParts" },
  );
  return { client, open, started };
}

async function sha256Of(client: S3Client, key: string): Promise<string> {
  const store = new S3ObjectStore(client, BUCKET);
  const { body } = await store.stream(key);
  const hash = createHash("sha256");
  for await (const chunk of body) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

describe("PartedUpload", () => {
  let s3: LocalS3;
  let client: S3Client;

  beforeAll(async () => {
    s3 = await startS3({ buckets: [BUCKET] });
    client = createAwsClients({
      region: "us-east-1",
      endpoints: { s3: s3.endpoint },
      credentials: LOCAL_S3_CREDENTIALS,
    }).s3;
  });

  afterAll(async () => {
    client.destroy();
    await s3.stop();
  });

  it("reads no further ahead than the parts in flight and the one being filled, and reuses their buffers", async () => {
    // Prepare: one part in flight at a time, held until the gate opens; five parts and a bit in all.
    const gated = gatedClient(s3.endpoint);
    const data = source(5 * MIN_PART_SIZE + 17);
    const upload = new PartedUpload(gated.client, { Bucket: BUCKET, Key: "held/object.csv" }, data.body, {
      partSize: MIN_PART_SIZE,
      queueSize: 1,
    });

    // Act: start, let the reader run into the held first part, then release it.
    const done = upload.done();
    await expect.poll(() => gated.started).toEqual([1]);
    await expect.poll(() => data.state.pulled).toBeGreaterThanOrEqual(2 * MIN_PART_SIZE);
    await sleep(200);
    const pulledWhileHeld = data.state.pulled;
    gated.open();
    const result = await done;

    // Assess: part 1 in flight, part 2 filled, and the chunk that found no room: nothing more.
    expect(pulledWhileHeld).toBe(2 * MIN_PART_SIZE + MIB);
    expect(upload.bytes).toBe(5 * MIN_PART_SIZE + 17);
    expect(upload.buffersMade).toBe(2);
    expect(upload.uploadId).toBeDefined();
    expect(result.etag).toBeDefined();
    expect(await sha256Of(client, "held/object.csv")).toBe(data.sha256());
    gated.client.destroy();
  });

  it("sends a body of exactly one part as one PutObject", async () => {
    // Prepare
    const data = source(MIN_PART_SIZE);
    const upload = new PartedUpload(client, { Bucket: BUCKET, Key: "one/part.csv" }, data.body, {
      partSize: MIN_PART_SIZE,
      queueSize: 2,
    });

    // Act
    const result = await upload.done();

    // Assess: no multipart upload was made.
    expect(upload.uploadId).toBeUndefined();
    expect(result.etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(await sha256Of(client, "one/part.csv")).toBe(data.sha256());
  });

  it("fails the upload when a part is refused, and the store leaves no object and no parts", async () => {
    // Prepare: part 3 of five is refused.
    const failing = gatedClient(s3.endpoint, 3);
    const store = new S3ObjectStore(failing.client, BUCKET, { partSize: MIN_PART_SIZE, queueSize: 2 });
    const data = source(5 * MIN_PART_SIZE);

    // Act
    const upload = store.upload("broken/object.csv", data.body);

    // Assess
    await expect(upload).rejects.toThrow("part refused");
    expect(failing.started).toContain(3);
    expect(await store.head("broken/object.csv")).toBeUndefined();
    const pending = await client.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: "broken/" }));
    expect(pending.Uploads ?? []).toEqual([]);
    failing.client.destroy();
  });

  it("refuses a part size below S3's minimum", () => {
    expect(
      () =>
        new PartedUpload(client, { Bucket: BUCKET, Key: "k" }, source(1).body, {
          partSize: MIN_PART_SIZE - 1,
          queueSize: 1,
        }),
    ).toThrow(RangeError);
  });
});
