/**
 * Gzip on several threads: the input is cut into blocks, each block is compressed as its own gzip
 * member on the libuv pool, and the members come back in input order. Concatenated members are one
 * valid gzip file (RFC 1952 §2.2; gunzip, Node's zlib, Python, Java, Spark and Athena read them).
 *
 * Why: on the extract path deflate costs about twice the CSV → JSON conversion, and one
 * `zlib.createGzip()` stream compresses one chunk at a time on one thread. With blocks in flight
 * concurrently, compression can spread over the cores of a larger Lambda while the main thread
 * converts. On a busy 2-vCPU machine it measured no faster than one stream: measure on the target size.
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

export class ParallelGzip {
  private readonly level: number;
  private readonly blockBytes: number;
  private readonly concurrency: number;
  private block: Uint8Array;
  private used = 0;
  private readonly jobs: Job[] = [];
  private inputBytes = 0;
  private outputBytes = 0;

  constructor(options: ParallelGzipOptions = {}) {
    this.level = options.level ?? 1;
    this.blockBytes = options.blockBytes ?? 1 << 20;
    this.concurrency = Math.max(1, options.concurrency ?? 4);
    this.block = new Uint8Array(this.blockBytes);
  }

  /** Bytes given and bytes of gzip handed out so far. */
  get totals(): { input: number; output: number } {
    return { input: this.inputBytes, output: this.outputBytes };
  }

  /**
   * Adds bytes. Resolves, once fewer than `concurrency` blocks are in flight (back-pressure), with the
   * gzip members finished so far, in order (often none).
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
    const input = this.block.subarray(0, this.used);
    // An output buffer larger than any member lets zlib compress the block in one pass on the pool,
    // instead of returning to the (busy) main thread after every 16 KiB of output.
    const chunkSize = this.blockBytes + (this.blockBytes >> 3) + 1024;
    const job: Job = { result: gzipAsync(input, { level: this.level, chunkSize }), done: false };
    // Settled jobs are noticed without awaiting them; failures still surface through takeFirst().
    job.result.then(
      () => {
        job.done = true;
      },
      () => {
        job.done = true;
      },
    );
    this.jobs.push(job);
    this.block = new Uint8Array(this.blockBytes);
    this.used = 0;
  }

  private async takeFirst(): Promise<Uint8Array> {
    const job = this.jobs.shift() as Job;
    const member = await job.result;
    this.outputBytes += member.length;
    return member;
  }
}
