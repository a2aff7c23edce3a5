import { once } from "node:events";
import { PassThrough } from "node:stream";
import type { ObjectStore } from "../ports";

/** Bytes gathered before they are handed to the upload stream (fewer, larger writes). */
const FLUSH_BYTES = 256 * 1024;

/**
 * Streams bytes into one S3 object with bounded memory. The upload starts with the first write, so a
 * writer that never receives anything creates no object; `close` waits for the object to be whole.
 */
export class PartWriter {
  private stream: PassThrough | undefined;
  private upload: Promise<{ bytes: number }> | undefined;
  /** Aborted with the upload's error, so that it reaches a writer waiting for the upload to drain. */
  private readonly uploadFailed = new AbortController();
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  /** Rows (or whatever unit the caller counts) written. */
  count = 0;

  constructor(
    private readonly store: ObjectStore,
    readonly key: string,
    private readonly contentType = "text/csv",
  ) {}

  get started(): boolean {
    return this.upload !== undefined || this.pending.length > 0;
  }

  async write(bytes: Uint8Array, units = 1): Promise<void> {
    this.count += units;
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    if (this.pendingBytes >= FLUSH_BYTES) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const chunk = this.pending.length === 1 ? (this.pending[0] as Uint8Array) : Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    if (!this.stream) {
      const stream = new PassThrough();
      this.stream = stream;
      this.upload = this.store.upload(this.key, stream, { contentType: this.contentType });
      // Not a race of every wait against the upload's promise: each raced promise would stay
      // reachable from it until the object is whole.
      this.upload.catch((error: unknown) => this.uploadFailed.abort(error));
    }
    const signal = this.uploadFailed.signal;
    signal.throwIfAborted();
    if (!this.stream.write(chunk)) {
      try {
        await once(this.stream, "drain", { signal });
      } catch (error) {
        signal.throwIfAborted();
        throw error;
      }
    }
  }

  /** Finish the object; returns the bytes written (0 and no object when nothing was written). */
  async close(): Promise<number> {
    await this.flush();
    if (!this.stream || !this.upload) return 0;
    this.stream.end();
    const result = await this.upload;
    return result.bytes;
  }

  /** Give up: the upload is aborted, no object appears. */
  async abort(error: unknown): Promise<void> {
    this.pending = [];
    if (!this.stream || !this.upload) return;
    this.stream.destroy(error instanceof Error ? error : new Error(String(error)));
    await this.upload.catch(() => undefined);
  }
}
