/**
 * A Bulk query result held in memory as CSV bytes: one Buffer per block of rows plus each row's byte
 * offset, so a results page is a few zero-copy slices rather than rows formatted on request.
 * Rows are written straight into a scratch buffer (no intermediate strings), which keeps a
 * million-row materialization in seconds and the garbage collector out of the way.
 */

import type { ByteSink } from "./byte-sink";

const ROWS_PER_BLOCK = 4096;
const INITIAL_SCRATCH = 4 * 1024 * 1024;

export interface CsvSlice {
  buffers: Buffer[];
  bytes: number;
}

export class MaterializedCsv implements ByteSink {
  /** Scratch space of the block being written; writers put bytes at `pos` after `ensure`. */
  buf: Buffer = Buffer.allocUnsafe(INITIAL_SCRATCH);
  pos = 0;
  private readonly blocks: Buffer[] = [];
  /** Per block: its rows' start offsets plus the block length. */
  private readonly offsets: Uint32Array[] = [];
  private current: number[] = [0];
  private rows = 0;
  private bytes = 0;

  constructor(readonly header: Buffer) {}

  get rowCount(): number {
    return this.rows;
  }

  /** Bytes of all rows, header excluded. */
  get byteLength(): number {
    return this.bytes;
  }

  /** Makes room for `count` more bytes at `pos`. */
  ensure(count: number): void {
    if (this.pos + count <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + count));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  /** Ends the row whose bytes were written since the previous endRow. */
  endRow(): void {
    this.current.push(this.pos);
    this.rows += 1;
    if (this.current.length > ROWS_PER_BLOCK) this.flush();
  }

  /** Appends one whole row given as text. */
  append(line: string): void {
    this.ensure(line.length * 3);
    this.pos += this.buf.write(line, this.pos, "utf8");
    this.endRow();
  }

  /** Seals the last partial block and drops the scratch space; call once after the last row. */
  finish(): void {
    if (this.current.length > 1) this.flush();
    this.buf = Buffer.alloc(0);
    this.pos = 0;
  }

  private flush(): void {
    const block = Buffer.allocUnsafe(this.pos);
    this.buf.copy(block, 0, 0, this.pos);
    this.blocks.push(block);
    this.offsets.push(Uint32Array.from(this.current));
    this.bytes += block.length;
    this.pos = 0;
    this.current = [0];
  }

  /** Rows [from, to) as slices of the stored blocks (header not included). */
  slice(from: number, to: number): CsvSlice {
    const end = Math.min(to, this.rows);
    const buffers: Buffer[] = [];
    let bytes = 0;
    let row = Math.max(0, from);
    while (row < end) {
      const blockIndex = Math.floor(row / ROWS_PER_BLOCK);
      const block = this.blocks[blockIndex] as Buffer;
      const offsets = this.offsets[blockIndex] as Uint32Array;
      const first = row - blockIndex * ROWS_PER_BLOCK;
      const last = Math.min(end - blockIndex * ROWS_PER_BLOCK, offsets.length - 1);
      const part = block.subarray(offsets[first] as number, offsets[last] as number);
      buffers.push(part);
      bytes += part.length;
      row = blockIndex * ROWS_PER_BLOCK + last;
    }
    return { buffers, bytes };
  }
}
