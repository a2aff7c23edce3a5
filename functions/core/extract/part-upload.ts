// Uploading one part: bytes gzipped block by block straight into a multipart upload.
import { once } from "node:events";
import { PassThrough } from "node:stream";
import { ParallelGzip } from "../formats/extract/parallel-gzip";
import type { ExtractDeps } from "./extract-deps";

/**
 * gzip members compressed at once. Conversion runs on the main thread; two compressions on the libuv
 * threadpool keep a second core busy where there is one, and cost little where there is not.
 */
const GZIP_CONCURRENCY = 2;
/** Input per gzip member: fewer, larger members spend less on starting zlib streams. */
const GZIP_BLOCK_BYTES = 2 * 1024 * 1024;
/** Compressed bytes that may wait for the upload before the writer waits too. */
const UPLOAD_BUFFER_BYTES = 1024 * 1024;

/** Waits until `stream` drains; when `signal` aborts first (the upload failed), throws its reason. */
async function drained(stream: PassThrough, signal: AbortSignal): Promise<void> {
  try {
    await once(stream, "drain", { signal });
  } catch (error) {
    signal.throwIfAborted();
    throw error;
  }
}

/**
 * Write one part: bytes are compressed block by block on the threadpool (ParallelGzip: concatenated
 * gzip members are one gzip file) straight into a multipart upload, so memory holds only what is in
 * flight. Either the whole part lands or the upload is aborted.
 */
export async function writePart(
  deps: ExtractDeps,
  key: string,
  produce: (write: (bytes: Uint8Array) => Promise<void>) => Promise<void>,
): Promise<number> {
  const gzip = new ParallelGzip({
    level: deps.settings.gzipLevel,
    concurrency: GZIP_CONCURRENCY,
    blockBytes: GZIP_BLOCK_BYTES,
  });
  const compressed = new PassThrough({ highWaterMark: UPLOAD_BUFFER_BYTES });
  const upload = deps.store.upload(key, compressed, { contentType: "application/gzip" });
  // A failed upload stops the writer, also one waiting for the upload to drain its buffer. Not by
  // racing each write against the upload's promise: every raced result (the members) would stay
  // reachable from that pending promise until the part ends, a page's whole compressed output.
  const uploadFailed = new AbortController();
  upload.catch((error: unknown) => uploadFailed.abort(error));
  const send = async (members: Uint8Array[]) => {
    for (const member of members) {
      uploadFailed.signal.throwIfAborted();
      if (!compressed.write(member)) await drained(compressed, uploadFailed.signal);
    }
  };
  const write = async (bytes: Uint8Array) => {
    await send(await gzip.write(bytes));
  };
  try {
    await produce(write);
    await send(await gzip.end());
  } catch (error) {
    compressed.destroy(error instanceof Error ? error : new Error(String(error)));
    await upload.catch(() => undefined);
    throw error;
  }
  compressed.end();
  const result = await upload;
  return result.bytes;
}
