/**
 * A streamed upload to S3 through a fixed set of part buffers. Incoming chunks are copied into the part
 * being filled as they arrive, so they die young (a scavenge frees them); a part buffer goes back to the
 * pool once S3 has answered its UploadPart. Memory stays at (queueSize + 1) × partSize whatever the
 * object's size, with no concatenation per part: lib-storage's Upload kept every chunk of a part until
 * it concatenated them, long enough for them (and each 8 MiB concatenation) to reach V8's old
 * generation, where ArrayBuffers wait for a full collection — tens of MB of garbage on a Lambda that
 * stages or lands hundreds of MB.
 *
 * The requests are lib-storage's: a body that fits one part is a single PutObject; otherwise
 * CreateMultipartUpload (with CRC32 as the checksum algorithm when the client computes checksums
 * whenever supported, its default), UploadPart with at most `queueSize` in flight, then
 * CompleteMultipartUpload listing each part's ETag and checksum. The caller aborts a failed multipart
 * upload (`uploadId`).
 */
import {
  ChecksumAlgorithm,
  type CompletedPart,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";

/** S3 refuses parts below 5 MiB, except the last. */
export const MIN_PART_SIZE = 5 * 1024 * 1024;
/** The first part's buffer to begin with (it doubles as the part fills). */
const FIRST_BUFFER_BYTES = 64 * 1024;
/** S3 takes at most 10,000 parts per upload. */
const MAX_PARTS = 10_000;

export interface PartedUploadParams {
  Bucket: string;
  Key: string;
  ContentType?: string;
  ContentEncoding?: string;
}

export interface PartedUploadOptions {
  partSize: number;
  /** UploadPart requests in flight at once (at least 1). */
  queueSize: number;
}

export class PartedUpload {
  /** Set once the multipart upload exists: the caller aborts it when `done` fails. */
  uploadId: string | undefined;
  /** Bytes read from the body. */
  bytes = 0;
  /** Part buffers made so far (at most queueSize + 1). */
  buffersMade = 0;
  private readonly free: Buffer[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly parts: CompletedPart[] = [];
  private failure: { error: unknown } | undefined;
  private partNumber = 0;

  constructor(
    private readonly client: S3Client,
    private readonly params: PartedUploadParams,
    private readonly body: AsyncIterable<Uint8Array | string>,
    private readonly options: PartedUploadOptions,
  ) {
    if (options.partSize < MIN_PART_SIZE) {
      throw new RangeError(
        `A part size of ${options.partSize} bytes is below S3's minimum of ${MIN_PART_SIZE}`,
      );
    }
    if (options.queueSize < 1) throw new RangeError("An upload needs at least one part in flight");
  }

  /** Read the body to its end and make the object whole; resolves with its ETag (quoted, as S3 sends it). */
  async done(): Promise<{ etag?: string }> {
    try {
      return await this.upload();
    } catch (error) {
      // Parts still in flight would land after the caller's abort: let them settle first.
      await Promise.all(this.inFlight);
      throw error;
    }
  }

  private async upload(): Promise<{ etag?: string }> {
    const { partSize } = this.options;
    let part = this.takeBuffer();
    let filled = 0;
    for await (const chunk of this.body) {
      const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
      this.bytes += bytes.length;
      let from = 0;
      while (from < bytes.length) {
        // A full part is sent only once more bytes follow it: a body of exactly one part is one PutObject.
        if (filled === partSize) {
          await this.send(part, filled);
          part = this.takeBuffer();
          filled = 0;
        }
        if (filled === part.length) part = this.grown(part, filled);
        const n = Math.min(bytes.length - from, part.length - filled);
        part.set(n === bytes.length ? bytes : bytes.subarray(from, from + n), filled);
        filled += n;
        from += n;
      }
      this.throwIfFailed();
    }
    if (this.partNumber === 0) {
      const output = await this.client.send(
        new PutObjectCommand({ ...this.params, Body: part.subarray(0, filled) }),
      );
      return withEtag(output.ETag);
    }
    await this.send(part, filled);
    await Promise.all(this.inFlight);
    this.throwIfFailed();
    this.parts.sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
    const output = await this.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: this.params.Bucket,
        Key: this.params.Key,
        UploadId: this.uploadId,
        MultipartUpload: { Parts: this.parts },
      }),
    );
    return withEtag(output.ETag);
  }

  /**
   * Start uploading `part[0, length)` once fewer than `queueSize` parts are in flight, so the body is
   * read into the next part while they upload, and never further ahead.
   */
  private async send(part: Buffer, length: number): Promise<void> {
    while (this.inFlight.size >= this.options.queueSize && this.failure === undefined) {
      await Promise.race(this.inFlight);
    }
    this.throwIfFailed();
    this.uploadId ??= await this.create();
    this.partNumber += 1;
    if (this.partNumber > MAX_PARTS) {
      throw new RangeError(
        `s3://${this.params.Bucket}/${this.params.Key} would need more than ${MAX_PARTS} parts of ${this.options.partSize} bytes`,
      );
    }
    const number = this.partNumber;
    const task: Promise<void> = this.client
      .send(
        new UploadPartCommand({
          Bucket: this.params.Bucket,
          Key: this.params.Key,
          UploadId: this.uploadId,
          PartNumber: number,
          Body: part.subarray(0, length),
        }),
      )
      .then((output) => {
        if (!output.ETag) throw new Error(`S3 answered UploadPart ${number} without an ETag`);
        this.parts.push({
          PartNumber: number,
          ETag: output.ETag,
          ...(output.ChecksumCRC32 && { ChecksumCRC32: output.ChecksumCRC32 }),
          ...(output.ChecksumCRC32C && { ChecksumCRC32C: output.ChecksumCRC32C }),
          ...(output.ChecksumCRC64NVME && { ChecksumCRC64NVME: output.ChecksumCRC64NVME }),
          ...(output.ChecksumSHA1 && { ChecksumSHA1: output.ChecksumSHA1 }),
          ...(output.ChecksumSHA256 && { ChecksumSHA256: output.ChecksumSHA256 }),
        });
        // S3 has the part: its buffer takes the next one.
        this.free.push(part);
      })
      .catch((error: unknown) => {
        // A failed part's buffer is dropped, not reused: its request may still be writing from it.
        this.failure ??= { error };
      })
      .finally(() => {
        this.inFlight.delete(task);
      });
    this.inFlight.add(task);
  }

  private async create(): Promise<string> {
    const checksums = await this.client.config.requestChecksumCalculation();
    const output = await this.client.send(
      new CreateMultipartUploadCommand({
        ...this.params,
        ...(checksums === "WHEN_SUPPORTED" && { ChecksumAlgorithm: ChecksumAlgorithm.CRC32 }),
      }),
    );
    if (output.UploadId === undefined)
      throw new Error("S3 answered CreateMultipartUpload without an UploadId");
    return output.UploadId;
  }

  /**
   * A part buffer. The first starts small and grows as it fills (most uploads are a small result part
   * or file); once a part is whole, the next ones are made whole.
   */
  private takeBuffer(): Buffer {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    this.buffersMade += 1;
    const size =
      this.partNumber === 0 ? Math.min(FIRST_BUFFER_BYTES, this.options.partSize) : this.options.partSize;
    return Buffer.allocUnsafeSlow(size);
  }

  /** The first part's buffer, twice as large (at most a part), holding its `filled` bytes. */
  private grown(part: Buffer, filled: number): Buffer {
    const next = Buffer.allocUnsafeSlow(Math.min(part.length * 2, this.options.partSize));
    part.copy(next, 0, 0, filled);
    return next;
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure.error;
  }
}

function withEtag(etag: string | undefined): { etag?: string } {
  return etag === undefined ? {} : { etag };
}
