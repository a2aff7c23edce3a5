// Uploading one part straight into a multipart upload: Parquet bytes as they are, JSON lines gzipped block by block.
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
 * Upload one part as it is produced: `produce` sends bytes (which the upload may keep) and waits while
 * the upload is behind, so memory holds only what is in flight. Either the whole part lands or the
 * upload is aborted. Returns the part's size in bytes.
 */
export async function uploadPart(
  deps: ExtractDeps,
  key: string,
  contentType: string,
  produce: (send: (bytes: Uint8Array) => Promise<void>) => Promise<void>,
): Promise<number> {
  const body = new PassThrough({ highWaterMark: UPLOAD_BUFFER_BYTES });
  const upload = deps.store.upload(key, body, { contentType });
  // A failed upload stops the writer, also one waiting for the upload to drain its buffer. Not by
  // racing each write against the upload's promise: every raced result (the chunks) would stay
  // reachable from that pending promise until the part ends, a page's whole output.
  const uploadFailed = new AbortController();
  upload.catch((error: unknown) => uploadFailed.abort(error));
  const send = async (bytes: Uint8Array) => {
    uploadFailed.signal.throwIfAborted();
    if (!body.write(bytes)) await drained(body, uploadFailed.signal);
  };
  try {
    await produce(send);
  } catch (error) {
    body.destroy(error instanceof Error ? error : new Error(String(error)));
    await upload.catch(() => undefined);
    throw error;
  }
  body.end();
  const result = await upload;
  return result.bytes;
}

/**
 * Write one gzip part: bytes are compressed block by block on the threadpool (ParallelGzip: concatenated
 * gzip members are one gzip file) straight into a multipart upload (uploadPart).
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
  return uploadPart(deps, key, "application/gzip", async (send) => {
    const sendAll = async (members: Uint8Array[]) => {
      for (const member of members) await send(member);
    };
    await produce(async (bytes) => sendAll(await gzip.write(bytes)));
    await sendAll(await gzip.end());
  });
}
