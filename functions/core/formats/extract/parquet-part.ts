/**
 * A Parquet part, written one row group at a time from a LakeBatch into bytes handed to the part
 * upload after each row group: memory holds the row group being gathered and its encoded bytes,
 * never the whole part. Column chunks are encoded straight from the batch's typed storage
 * (parquet-column-chunk.ts); hyparquet-writer writes the page headers and the footer.
 *
 * The physical types follow the lake type of each column (lakeTypeOf in core/lake/lake-names.ts):
 * string → BYTE_ARRAY UTF8, boolean → BOOLEAN, int → INT32, bigint → INT64, double → DOUBLE,
 * decimal(p,s) → INT32 (p ≤ 9), INT64 (p ≤ 18) or FIXED_LEN_BYTE_ARRAY (p ≤ 38) with the DECIMAL
 * logical type, date → INT32 DATE, timestamp → INT64 TIMESTAMP(isAdjustedToUTC, MILLIS); every column
 * optional, with statistics (min, max, null count); pages compressed with ZSTD (SNAPPY where the Node
 * runtime has no zstd), so parts are not gzipped.
 */
import zlib from "node:zlib";
import type { ColumnChunk, FileMetaData, RowGroup } from "hyparquet";
import { ByteWriter, type SchemaElement } from "hyparquet-writer";
import { writeMetadata } from "hyparquet-writer/src/metadata.js";
import { snappyCompress } from "hyparquet-writer/src/snappy.js";
import type { LakeColumn, LakeType } from "../../lake/lake-names";
import { ORIGIN_COLUMN, type RowOrigin, RUN_ID_COLUMN } from "../../lake/lake-names";
import type { LakeBatch } from "./lake-batch";
import {
  ChunkScratch,
  type EncodedChunk,
  encodeColumnChunk,
  PagePool,
  writeColumnChunk,
} from "./parquet-column-chunk";

/**
 * A row group closes at this many rows or this many value bytes, whichever comes first. Memory sets
 * the size: the batch being gathered holds about 1.4 times its value bytes (its arrays grow by
 * doubling, and are kept from page to page), encoding adds a window of pages waiting for compression
 * (WINDOW_BYTES), and an extract's peak RSS is to stay under 200 MB with the download, the upload's
 * part buffers and the garbage between collections. 8 MiB is about 10,000-13,000 rows of a 40-column
 * object (~1.3 MB compressed); Athena reads it by column chunk and skips it by its statistics, and
 * narrow objects reach the row cap first.
 */
export const ROW_GROUP_MAX_ROWS = 100_000;
export const ROW_GROUP_MAX_BYTES = 8 * 1024 * 1024;

/** zstd level 1: the fastest; higher levels shrink these pages little for much more CPU. */
const ZSTD_LEVEL = 1;

const createZstdCompress = (zlib as { createZstdCompress?: typeof zlib.createZstdCompress })
  .createZstdCompress;

/** The compression codec parts use: ZSTD with Node's zlib (22.15 and later), SNAPPY otherwise. */
export const PARQUET_CODEC: "ZSTD" | "SNAPPY" = createZstdCompress === undefined ? "SNAPPY" : "ZSTD";

/**
 * One zstd stream kept for the process, compressing one page at a time on the libuv pool: each write
 * ends a frame (`flush: ZSTD_e_end`), a whole frame with its content size, as the one-shot functions
 * write. A context per page (zlib's one-shot functions) cost tens of MB of native memory in malloc
 * churn over a part, and compressing on the pool leaves the main thread to read the next row group.
 */
class CompressLane {
  private stream: zlib.ZstdCompress | undefined;
  private output: Buffer[] = [];
  private tail: Promise<unknown> = Promise.resolve();

  /** The page's frame, once the pages queued before it are compressed. */
  compress(bytes: Uint8Array): Promise<Uint8Array[]> {
    const result = this.tail.then(() => this.one(bytes));
    this.tail = result.catch(() => undefined);
    return result;
  }

  private one(bytes: Uint8Array): Promise<Uint8Array[]> {
    const stream = this.open();
    return new Promise((resolve, reject) => {
      stream.write(bytes, (error) => {
        if (error) {
          this.stream = undefined;
          reject(error);
          return;
        }
        // The frame's last output is pushed before the write's callback; take it once it is out.
        setImmediate(() => {
          // The pieces as they are: joining them made a buffer of up to a megabyte per page.
          const output = this.output;
          this.output = [];
          resolve(output);
        });
      });
    });
  }

  private open(): zlib.ZstdCompress {
    if (this.stream !== undefined) return this.stream;
    const stream = (createZstdCompress as typeof zlib.createZstdCompress)({
      params: { [zlib.constants.ZSTD_c_compressionLevel]: ZSTD_LEVEL },
      flush: zlib.constants.ZSTD_e_end,
      // Each page's output is at least one chunk: small chunks waste less on small pages.
      chunkSize: 16 * 1024,
    });
    stream.on("data", (chunk: Buffer) => this.output.push(chunk));
    // A failed write rejects through its callback; the stream is then replaced.
    stream.on("error", () => undefined);
    this.stream = stream;
    return stream;
  }
}

/**
 * One lane: zstd level 1 takes about a tenth of the main thread's time, so one pool thread keeps up
 * (two measured the same speed and a few MB more memory).
 */
const lane = new CompressLane();

/** Compresses a page's values with the parts' codec (ZSTD on the libuv pool, SNAPPY in place). */
function compress(bytes: Uint8Array): Promise<Uint8Array[]> {
  if (PARQUET_CODEC === "SNAPPY") return Promise.resolve([snappyCompress(bytes)]);
  return lane.compress(bytes);
}

/** Bytes a FIXED_LEN_BYTE_ARRAY needs for a two's-complement decimal of `precision` digits. */
function decimalBytes(precision: number): number {
  let bytes = 1;
  while (2n ** BigInt(8 * bytes - 1) <= 10n ** BigInt(precision)) bytes++;
  return bytes;
}

/** The Parquet schema element of a lake column (see the file comment). */
export function parquetElement(name: string, type: LakeType): SchemaElement {
  const base: SchemaElement = { name, repetition_type: "OPTIONAL" };
  switch (type.kind) {
    case "string":
      return { ...base, type: "BYTE_ARRAY", converted_type: "UTF8", logical_type: { type: "STRING" } };
    case "boolean":
      return { ...base, type: "BOOLEAN" };
    case "int":
      return { ...base, type: "INT32" };
    case "bigint":
      return { ...base, type: "INT64" };
    case "double":
      return { ...base, type: "DOUBLE" };
    case "decimal": {
      const { precision, scale } = type;
      const decimal = {
        converted_type: "DECIMAL" as const,
        precision,
        scale,
        logical_type: { type: "DECIMAL" as const, precision, scale },
      };
      if (precision <= 9) return { ...base, type: "INT32", ...decimal };
      if (precision <= 18) return { ...base, type: "INT64", ...decimal };
      return { ...base, type: "FIXED_LEN_BYTE_ARRAY", type_length: decimalBytes(precision), ...decimal };
    }
    case "date":
      return { ...base, type: "INT32", converted_type: "DATE", logical_type: { type: "DATE" } };
    case "timestamp":
      return {
        ...base,
        type: "INT64",
        converted_type: "TIMESTAMP_MILLIS",
        logical_type: { type: "TIMESTAMP", isAdjustedToUTC: true, unit: "MILLIS" },
      };
  }
}

/** The columns after the stream's: `_run_id`, and `_origin` in a part of rows found otherwise. */
function tailColumns(origin: RowOrigin | undefined): string[] {
  return origin === undefined ? [RUN_ID_COLUMN] : [RUN_ID_COLUMN, ORIGIN_COLUMN];
}

/** The part's schema: the stream's lake columns, then `_run_id` (and `_origin` when given). */
export function parquetSchema(columns: LakeColumn[], origin?: RowOrigin): SchemaElement[] {
  const tail = tailColumns(origin);
  return [
    { name: "schema", num_children: columns.length + tail.length },
    ...columns.map((column) => parquetElement(column.name, column.type)),
    ...tail.map((name) => parquetElement(name, { kind: "string" })),
  ];
}

/** Bytes sent at a time (below glibc's default mmap threshold of 128 KiB). */
const SEND_BYTES = 64 * 1024;

/** A Parquet file starts and ends with these four bytes. */
const MAGIC = 0x31524150;

/**
 * Encoded pages waiting for compression, at most (about): past it, encoding waits for the oldest
 * column chunk to be compressed and written. Holding a whole row group's pages until they were all
 * compressed cost about ROW_GROUP_MAX_BYTES more memory.
 */
const WINDOW_BYTES = 2 * 1024 * 1024;

/** Written bytes held before they are sent (the rest of the row group follows). */
const SEND_AT_BYTES = 512 * 1024;

/** A column chunk encoded, its pages being compressed. */
interface PendingChunk {
  chunk: EncodedChunk;
  compressed: Promise<void>;
  bytes: number;
}

/** The row group being written: its rows, where it starts, the chunks written so far. */
interface OpenRowGroup {
  rows: number;
  start: number;
  columns: ColumnChunk[];
}

/**
 * Encoding's scratch space, one for the process: it is used only while a chunk is encoded, which never
 * awaits. A part's output buffer and page pool go back to a pool when the part is finished. Buffers of
 * megabytes made and dropped for every part (and page) left RSS far above what was live: freed, they
 * stay with the allocator, fragmented.
 */
const scratch = new ChunkScratch();
const buffers: Array<{ out: ByteWriter; pool: PagePool }> = [];

export class ParquetPartWriter {
  private readonly out: ByteWriter;
  private readonly pool: PagePool;
  private readonly schema: SchemaElement[];
  /** The constant columns after the stream's, encoded: the run id, and the origin when given. */
  private readonly constants: Uint8Array[];
  private readonly rowGroups: RowGroup[] = [];
  /** Chunks encoded and being compressed, in column order, and their page bytes. */
  private readonly queue: PendingChunk[] = [];
  private queued = 0;
  private group: OpenRowGroup | undefined;
  private rowCount = 0;

  /**
   * @param send receives the part's bytes in order, after each row group and at the end; it may keep
   *   them (they are a copy)
   * @param origin how every row of this part was found, when not by the run's query (`_origin`)
   */
  constructor(
    columns: LakeColumn[],
    runId: string,
    private readonly send: (bytes: Uint8Array) => Promise<void>,
    origin?: RowOrigin,
  ) {
    const encoder = new TextEncoder();
    this.constants = [runId, ...(origin === undefined ? [] : [origin])].map((text) => encoder.encode(text));
    this.schema = parquetSchema(columns, origin);
    const reused = buffers.pop();
    this.out = reused?.out ?? new ByteWriter(1 << 20);
    this.pool = reused?.pool ?? new PagePool();
    this.out.offset = 0;
    this.out.index = 0;
    this.out.appendUint32(MAGIC);
  }

  /** Rows written so far. */
  get rows(): number {
    return this.rowCount;
  }

  /** Whether the batch should be written out now. */
  static full(batch: LakeBatch): boolean {
    return batch.rows >= ROW_GROUP_MAX_ROWS || batch.bytes >= ROW_GROUP_MAX_BYTES;
  }

  /**
   * Takes the batch as one row group (nothing when it is empty) and sends the previous row group's
   * bytes. The batch's pages are compressed on the libuv pool, a window of them at a time; the last
   * ones are still being compressed when this resolves, while the caller refills the batch (which it
   * may reset once this resolves).
   */
  async writeRowGroup(batch: LakeBatch): Promise<void> {
    const rows = batch.rows;
    if (rows === 0) return;
    await this.endRowGroup();
    this.group = { rows, start: this.out.offset, columns: [] };
    this.rowCount += rows;
    const elements = this.schema;
    const count = batch.columns.length + this.constants.length;
    for (let index = 0; index < count; index++) {
      const element = elements[index + 1] as SchemaElement;
      const column = batch.columns[index];
      const data = column?.data ?? {
        layout: "constant" as const,
        rows,
        value: this.constants[index - batch.columns.length] as Uint8Array,
      };
      const chunk = encodeColumnChunk(element, data, scratch, this.pool);
      let bytes = 0;
      for (const page of chunk.pages) bytes += page.data.length;
      const compressed = Promise.all(
        chunk.pages.map(async (page) => {
          page.compressed = await compress(page.data);
        }),
      ).then(() => undefined);
      // A failure surfaces where the chunk is written.
      compressed.catch(() => undefined);
      this.queue.push({ chunk, compressed, bytes });
      this.queued += bytes;
      while (this.queued > WINDOW_BYTES) await this.writeOldest();
    }
  }

  /** Writes the last row group and the footer, and sends the last bytes. */
  async finish(): Promise<void> {
    await this.endRowGroup();
    const metadata = {
      version: 2,
      created_by: "saddledata",
      schema: this.schema,
      num_rows: BigInt(this.rowCount),
      row_groups: this.rowGroups,
    } as unknown as FileMetaData;
    writeMetadata(this.out, metadata);
    this.out.appendUint32(MAGIC);
    await this.sendBuffered();
    buffers.push({ out: this.out, pool: this.pool });
  }

  /** Waits for the oldest chunk's pages to be compressed and writes the chunk. */
  private async writeOldest(): Promise<void> {
    const pending = this.queue.shift() as PendingChunk;
    await pending.compressed;
    (this.group as OpenRowGroup).columns.push(writeColumnChunk(this.out, pending.chunk, PARQUET_CODEC));
    for (const page of pending.chunk.pages) this.pool.release(page.data);
    this.queued -= pending.bytes;
    if (this.out.index >= SEND_AT_BYTES) await this.sendBuffered();
  }

  /** Writes the open row group's remaining chunks and sends its bytes. */
  private async endRowGroup(): Promise<void> {
    const group = this.group;
    if (group === undefined) return;
    while (this.queue.length > 0) await this.writeOldest();
    this.group = undefined;
    let uncompressed = 0n;
    for (const column of group.columns) uncompressed += column.meta_data?.total_uncompressed_size ?? 0n;
    this.rowGroups.push({
      columns: group.columns,
      total_byte_size: uncompressed,
      num_rows: BigInt(group.rows),
      total_compressed_size: BigInt(this.out.offset - group.start),
    });
    await this.sendBuffered();
  }

  /**
   * Sends what is buffered as copies of at most SEND_BYTES: small enough to come from the allocator's
   * free lists (a copy of a whole row group, freed once uploaded, left RSS far above what was live).
   */
  private async sendBuffered(): Promise<void> {
    const buffered = new Uint8Array(this.out.buffer, 0, this.out.index);
    for (let at = 0; at < buffered.length; at += SEND_BYTES) {
      await this.send(buffered.slice(at, at + SEND_BYTES));
    }
    this.out.index = 0;
  }
}
