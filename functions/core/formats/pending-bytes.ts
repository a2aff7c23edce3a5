/** The unread tail of a byte stream: chunks are appended, parsed bytes are dropped from the front. */
export class PendingBytes {
  private buffer: Uint8Array = new Uint8Array(1 << 16);
  private start = 0;
  private end = 0;

  /** The unread bytes (a view, valid until the next append or drop). */
  get bytes(): Uint8Array {
    return this.buffer.subarray(this.start, this.end);
  }

  get length(): number {
    return this.end - this.start;
  }

  append(chunk: Uint8Array): void {
    if (this.end + chunk.length > this.buffer.length) {
      const length = this.end - this.start;
      if (length + chunk.length <= this.buffer.length / 2) {
        this.buffer.copyWithin(0, this.start, this.end);
      } else {
        const next = new Uint8Array(Math.max(this.buffer.length * 2, length + chunk.length));
        next.set(this.buffer.subarray(this.start, this.end));
        this.buffer = next;
      }
      this.start = 0;
      this.end = length;
    }
    this.buffer.set(chunk, this.end);
    this.end += chunk.length;
  }

  drop(count: number): void {
    this.start += count;
    if (this.start === this.end) {
      this.start = 0;
      this.end = 0;
    }
  }
}
