/**
 * Gzip on several threads: the input is cut into blocks, each block is compressed as its own gzip
 * member on the libuv pool, and the members come back in input order. Concatenated members are one
 * valid gzip file (RFC 1952 §2.2; gunzip, Node's zlib, Python, Java, Spark and Athena read them).
 *
 * Why: on the extract path deflate costs about twice the CSV → JSON conversion, and one
 * `zlib.createGzip()` stream compresses one chunk at a time on one thread. With blocks in flight
 * concurrently, compression can spread over the cores of a larger Lambda while the main thread
 * converts. On a busy 2-vCPU machine it measured no faster than one stream: measure on the target size.
 *
 * Memory: a million rows make thousands of blocks, so input blocks are recycled (a block goes back to
 * the pool once zlib has compressed it) and each member's output buffer is sized for what JSON lines
 * compress to, not for the block: fresh buffers per block were gigabytes of garbage per million rows,
 * and Node frees buffer memory only when a full collection runs.
 */
import { promisify } from "node:util";
import { gzip } from "node:zlib";

const gzipAsync = promisify(gzip);

export interface ParallelGzipOptions {
  /** zlib level (default 1: the fastest; higher levels shrink JSON lines little for much more CPU). */
  level?: number;
  /** Bytes of input per gzip member (default 1 MiB; the size cost of restarting is about 0.1%). */
  blockBytes?: number;
  /** Blocks compressed at once (default 4, the libuv pool's default size). */
  concurrency?: number;
}

interface Job {
  result: Promise<Uint8Array>;
  done: boolean;
}

/**
 * zlib's output buffer per member, as a fraction of the block: JSON lines compress to about a fifth at
 * level 1, so a quarter (plus headroom) takes a member in one pass on the pool. Less compressible input
 * only costs extra passes, and a member keeps this buffer alive until it is consumed.
 */
const OUTPUT_SHARE = 4;
const MIN_OUTPUT_BYTES = 16 * 1024;

export class ParallelGzip {
  private readonly level: number;
  private readonly blockBytes: number;
  private readonly concurrency: number;
  private readonly chunkSize: number;
  private block: Uint8Array;
  private used = 0;
  /** Blocks zlib is done with, ready to be filled again. */
  private readonly free: Uint8Array[] = [];
  private readonly jobs: Job[] = [];
  private inputBytes = 0;
  private outputBytes = 0;

  constructor(options: ParallelGzipOptions = {}) {
    this.level = options.level ?? 1;
    this.blockBytes = options.blockBytes ?? 1 << 20;
    this.concurrency = Math.max(1, options.concurrency ?? 4);
    this.chunkSize = Math.max(MIN_OUTPUT_BYTES, Math.ceil(this.blockBytes / OUTPUT_SHARE) + 1024);
    // Every byte of a block is written before it is read, so it needs no zero-filling.
    this.block = Buffer.allocUnsafe(this.blockBytes);
  }

  /** Bytes given and bytes of gzip handed out so far. */
  get totals(): { input: number; output: number } {
    return { input: this.inputBytes, output: this.outputBytes };
  }

  /**
   * Adds bytes (copied before this returns: the caller may reuse them at once). Resolves, once fewer
   * than `concurrency` blocks are in flight (back-pressure), with the gzip members finished so far, in
   * order (often none). Members are the caller's: they are never written to again.
   */
  async write(bytes: Uint8Array): Promise<Uint8Array[]> {
    this.inputBytes += bytes.length;
    let from = 0;
    while (from < bytes.length) {
      const n = Math.min(bytes.length - from, this.blockBytes - this.used);
      this.block.set(bytes.subarray(from, from + n), this.used);
      this.used += n;
      from += n;
      if (this.used === this.blockBytes) this.startBlock();
    }
    const ready: Uint8Array[] = [];
    while (this.jobs.length >= this.concurrency) ready.push(await this.takeFirst());
    while (this.jobs[0]?.done === true) ready.push(await this.takeFirst());
    return ready;
  }

  /** Compresses what is left and returns every remaining member, in order. */
  async end(): Promise<Uint8Array[]> {
    if (this.used > 0 || (this.inputBytes === 0 && this.jobs.length === 0)) this.startBlock();
    const ready: Uint8Array[] = [];
    while (this.jobs.length > 0) ready.push(await this.takeFirst());
    return ready;
  }

  private startBlock(): void {
    const block = this.block;
    const input = block.subarray(0, this.used);
    const job: Job = {
      result: gzipAsync(input, { level: this.level, chunkSize: this.chunkSize }),
      done: false,
    };
    // Settled jobs are noticed without awaiting them; failures still surface through takeFirst().
    job.result.then(
      () => {
        job.done = true;
        // zlib has read the whole block: it can be filled again.
        this.free.push(block);
      },
      () => {
        job.done = true;
      },
    );
    this.jobs.push(job);
    this.block = this.free.pop() ?? Buffer.allocUnsafe(this.blockBytes);
    this.used = 0;
  }

  private async takeFirst(): Promise<Uint8Array> {
    const job = this.jobs.shift() as Job;
    const member = await job.result;
    this.outputBytes += member.length;
    return member;
  }
}
