import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import type { ObjectInfo, ObjectStore } from "../../../../functions/core/ports";
import { ConfigurationError } from "../../../../functions/errors";

/** An in-memory ObjectStore for unit tests: ETags are MD5s, as S3 gives for single-part uploads. */
export class MemoryStore implements ObjectStore {
  readonly objects = new Map<string, Buffer>();
  constructor(readonly bucket = "memory") {}

  async put(key: string, body: string | Uint8Array): Promise<{ etag?: string }> {
    const bytes = Buffer.from(body);
    this.objects.set(key, bytes);
    return { etag: etagOf(bytes) };
  }

  async upload(
    key: string,
    body: Readable | AsyncIterable<Uint8Array>,
  ): Promise<{ bytes: number; etag?: string }> {
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(Buffer.from(chunk as Uint8Array));
    const bytes = Buffer.concat(chunks);
    this.objects.set(key, bytes);
    return { bytes: bytes.length, etag: etagOf(bytes) };
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    return this.objects.get(key);
  }

  async stream(key: string): Promise<{ body: Readable; info: ObjectInfo }> {
    const bytes = this.objects.get(key);
    if (!bytes) throw new ConfigurationError(`${key} does not exist`);
    // Small chunks, so readers see boundaries everywhere.
    const chunks: Buffer[] = [];
    for (let at = 0; at < bytes.length; at += 7) chunks.push(bytes.subarray(at, at + 7));
    return { body: Readable.from(chunks), info: { key, size: bytes.length, etag: etagOf(bytes) } };
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const bytes = this.objects.get(key);
    return bytes ? { key, size: bytes.length, etag: etagOf(bytes) } : undefined;
  }

  async delete(key: string): Promise<void> {
    this.objects.delete(key);
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    for (const key of [...this.objects.keys()].sort()) {
      if (key.startsWith(prefix)) yield (await this.head(key)) as ObjectInfo;
    }
  }
}

export function etagOf(bytes: Uint8Array): string {
  return createHash("md5").update(bytes).digest("hex");
}
