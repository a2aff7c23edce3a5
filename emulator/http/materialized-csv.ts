/**
 * A Bulk query result held in memory as CSV bytes: one Buffer per block of rows plus each row's byte
 * offset, so a results page is a few zero-copy slices rather than rows formatted on request.
 */

const ROWS_PER_BLOCK = 4096;

export interface CsvSlice {
  buffers: Buffer[];
  bytes: number;
}

export class MaterializedCsv {
  private readonly blocks: Buffer[] = [];
  /** Per block: ROWS_PER_BLOCK + 1 offsets (the last is the block length). */
  private readonly offsets: Uint32Array[] = [];
  private pending: string[] = [];
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

  append(line: string): void {
    this.pending.push(line);
    this.rows += 1;
    if (this.pending.length === ROWS_PER_BLOCK) this.flush();
  }

  /** Seals the last partial block; call once after the last row. */
  finish(): void {
    if (this.pending.length > 0) this.flush();
  }

  private flush(): void {
    const lines = this.pending;
    this.pending = [];
    const text = lines.join("");
    const block = Buffer.from(text, "utf8");
    const offsets = new Uint32Array(lines.length + 1);
    if (block.length === text.length) {
      // Pure ASCII: character counts are byte counts.
      let at = 0;
      for (let i = 0; i < lines.length; i++) {
        offsets[i] = at;
        at += (lines[i] as string).length;
      }
      offsets[lines.length] = at;
    } else {
      let at = 0;
      for (let i = 0; i < lines.length; i++) {
        offsets[i] = at;
        at += Buffer.byteLength(lines[i] as string, "utf8");
      }
      offsets[lines.length] = at;
    }
    this.blocks.push(block);
    this.offsets.push(offsets);
    this.bytes += block.length;
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
