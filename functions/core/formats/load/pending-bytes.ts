/** The unread tail of a byte stream: chunks are appended, parsed bytes are dropped from the front. */
export class PendingBytes {
  private buffer: Buffer = Buffer.allocUnsafe(1 << 16);
  private from = 0;
  private to = 0;

  /** The unread bytes (a view, valid until the next append or drop). */
  get bytes(): Uint8Array {
    return this.buffer.subarray(this.from, this.to);
  }

  /**
   * The buffer holding the unread bytes at [start, end), for parsers that read them in place without a
   * view per record (valid until the next append or drop).
   */
  get data(): Buffer {
    return this.buffer;
  }

  get start(): number {
    return this.from;
  }

  get end(): number {
    return this.to;
  }

  get length(): number {
    return this.to - this.from;
  }

  append(chunk: Uint8Array): void {
    if (this.to + chunk.length > this.buffer.length) {
      const length = this.to - this.from;
      if (length + chunk.length <= this.buffer.length / 2) {
        this.buffer.copyWithin(0, this.from, this.to);
      } else {
        const next = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, length + chunk.length));
        next.set(this.buffer.subarray(this.from, this.to));
        this.buffer = next;
      }
      this.from = 0;
      this.to = length;
    }
    this.buffer.set(chunk, this.to);
    this.to += chunk.length;
  }

  drop(count: number): void {
    this.from += count;
    if (this.from === this.to) {
      this.from = 0;
      this.to = 0;
    }
  }
}
