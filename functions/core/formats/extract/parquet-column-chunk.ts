/**
 * One column chunk of a Parquet row group, encoded straight from the row group's typed storage
 * (LakeBatch's ColumnData): no JS value per row, so encoding costs about a pass over the bytes and
 * makes little garbage.
 *
 * Pages are DATA_PAGE_V2 of about PAGE_BYTES of values: definition levels (RLE/bit-packed hybrid,
 * uncompressed as v2 wants), then the values compressed. Values are PLAIN, or RLE_DICTIONARY after a
 * dictionary page where a dictionary at least halves them (text: picklists, Ids of parents; the run's
 * constant columns). Booleans are PLAIN (bit-packed). The chunk's statistics (min, max, null count)
 * are computed on the way, as the physical values Parquet orders by: unsigned bytes for text, signed
 * integers for decimals (unscaled), dates and timestamps.
 */
import type { ColumnChunk, Encoding, SchemaElement } from "hyparquet";
import type { ByteWriter } from "hyparquet-writer";
import type { ColumnData } from "./lake-batch";

/** Values per page, about (pages are cut between rows). */
export const PAGE_BYTES = 1024 * 1024;

/** A column every row of which holds the same text (the run id). */
export interface ConstantColumn {
  layout: "constant";
  rows: number;
  value: Uint8Array;
}

/**
 * Buffers for encoded pages waiting for compression, recycled: a page takes the smallest free buffer
 * it fits (sizes are powers of two from 64 KiB) and gives it back once written. Few pages wait at once
 * (the part writer bounds them), so few buffers are ever made.
 */
export class PagePool {
  private readonly free = new Map<number, Uint8Array[]>();

  /** A copy of `page` in a pooled buffer. */
  copy(page: Uint8Array): Uint8Array {
    let size = 1 << 16;
    while (size < page.length) size *= 2;
    const buffer = this.free.get(size)?.pop() ?? new Uint8Array(size);
    buffer.set(page);
    return buffer.subarray(0, page.length);
  }

  /** Gives back the buffer of a page `copy` made. */
  release(page: Uint8Array): void {
    const buffer = new Uint8Array(page.buffer, page.byteOffset, page.buffer.byteLength - page.byteOffset);
    let list = this.free.get(buffer.length);
    if (list === undefined) {
      list = [];
      this.free.set(buffer.length, list);
    }
    list.push(buffer);
  }
}

/** One page encoded: its header's figures, its levels and its values, compressed later. */
export interface EncodedPage {
  type: "DICTIONARY_PAGE" | "DATA_PAGE_V2";
  /** Entries of a dictionary page; rows of a data page. */
  values: number;
  nulls: number;
  encoding: Encoding;
  levels: Uint8Array;
  data: Uint8Array;
  /** The values compressed, in pieces (as the compressor gave them). */
  compressed?: Uint8Array[];
}

/** A column chunk encoded, its pages waiting for compression. */
export interface EncodedChunk {
  element: SchemaElement;
  rows: number;
  pages: EncodedPage[];
  statistics: ChunkStatistics;
  encoding: Encoding;
}

/** Growable scratch space reused from page to page, so encoding allocates little. */
export class ChunkScratch {
  /** A page's values before compression. */
  values = new Uint8Array(1 << 16);
  /** Its definition levels, encoded. */
  levels = new Uint8Array(1 << 12);
  /** Definition levels or dictionary indexes, one per value, before encoding. */
  ints = new Int32Array(1 << 12);
  /** The dictionary: per entry its first row's bytes (start, end in the arena) and hash. */
  entryStart: Int32Array = new Int32Array(1 << 10);
  entryEnd: Int32Array = new Int32Array(1 << 10);
  entryHash: Int32Array = new Int32Array(1 << 10);
  /** Dictionary index of each non-null row. */
  indexes = new Int32Array(1 << 12);
  /** Open-addressing table: entry + 1, or 0 for a free slot. */
  table = new Int32Array(1 << 12);

  valuesWithRoom(size: number): Uint8Array {
    if (size > this.values.length) this.values = new Uint8Array(Math.max(size, this.values.length * 2));
    return this.values;
  }

  intsWithRoom(size: number): Int32Array {
    if (size > this.ints.length) this.ints = new Int32Array(Math.max(size, this.ints.length * 2));
    return this.ints;
  }
}

interface ChunkStatistics {
  null_count: bigint;
  min_value?: Uint8Array | number | bigint | boolean;
  max_value?: Uint8Array | number | bigint | boolean;
  nan_count?: bigint;
}

const TWO_32 = 2 ** 32;
const EMPTY = new Uint8Array(0);

/** Encodes one column chunk of a row group into pages held in `pool` buffers (not compressed yet). */
export function encodeColumnChunk(
  element: SchemaElement,
  data: ColumnData | ConstantColumn,
  scratch: ChunkScratch,
  pool: PagePool,
): EncodedChunk {
  const writer = new ChunkWriter(element, scratch, pool);
  switch (data.layout) {
    case "text":
      writer.text(data.rows, data.nulls, data.arena, data.ends);
      break;
    case "constant":
      writer.constant(data.rows, data.value);
      break;
    case "int32":
      writer.int32(data.rows, data.nulls, data.values);
      break;
    case "int64":
      writer.int64(data.rows, data.nulls, data.values);
      break;
    case "float64":
      if (element.type === "INT64") writer.timestamp(data.rows, data.nulls, data.values);
      else writer.double(data.rows, data.nulls, data.values);
      break;
    case "boolean":
      writer.boolean(data.rows, data.nulls, data.values);
      break;
    case "wide":
      writer.wide(data.rows, data.nulls, data.values);
      break;
  }
  return {
    element,
    rows: data.rows,
    pages: writer.pages,
    statistics: writer.statistics,
    encoding: writer.encoding,
  };
}

/**
 * Writes an encoded chunk whose pages are compressed (`page.compressed`) at the writer's position;
 * returns its metadata for the footer.
 */
export function writeColumnChunk(
  out: ByteWriter,
  chunk: EncodedChunk,
  codec: "ZSTD" | "SNAPPY",
): ColumnChunk {
  const start = out.offset;
  let uncompressed = 0;
  let dictionaryOffset: number | undefined;
  let dataOffset = -1;
  let dataPages = 0;
  for (const page of chunk.pages) {
    const pieces = page.compressed as Uint8Array[];
    let compressed = 0;
    for (const piece of pieces) compressed += piece.length;
    const headerStart = out.offset;
    if (page.type === "DICTIONARY_PAGE") dictionaryOffset = headerStart;
    else {
      if (dataOffset < 0) dataOffset = headerStart;
      dataPages++;
    }
    writePageHeader(out, page, compressed);
    out.appendBytes(page.levels);
    uncompressed += out.offset - headerStart + page.data.length;
    for (const piece of pieces) out.appendBytes(piece);
  }
  const element = chunk.element;
  const dictionary = dictionaryOffset !== undefined;
  return {
    file_offset: BigInt(start),
    meta_data: {
      type: element.type as NonNullable<SchemaElement["type"]>,
      encodings: dictionary ? ["PLAIN", "RLE_DICTIONARY"] : [chunk.encoding],
      path_in_schema: [element.name],
      codec,
      num_values: BigInt(chunk.rows),
      total_uncompressed_size: BigInt(uncompressed),
      total_compressed_size: BigInt(out.offset - start),
      data_page_offset: BigInt(dataOffset),
      ...(dictionary ? { dictionary_page_offset: BigInt(dictionaryOffset as number) } : {}),
      statistics: chunk.statistics,
      encoding_stats: [
        ...(dictionary
          ? [{ page_type: "DICTIONARY_PAGE" as const, encoding: "PLAIN" as const, count: 1 }]
          : []),
        { page_type: "DATA_PAGE_V2" as const, encoding: chunk.encoding, count: dataPages },
      ],
    },
  };
}

/** Parquet's PageType and Encoding numbers (parquet.thrift). */
const DICTIONARY_PAGE = 2;
const DATA_PAGE_V2 = 3;
const ENCODING_NUMBER: Partial<Record<Encoding, number>> = { PLAIN: 0, RLE_DICTIONARY: 8 };

/**
 * A page's PageHeader in Thrift's compact protocol: written field by field, where a generic
 * serializer made objects and arrays of entries for every page.
 */
export function writePageHeader(out: ByteWriter, page: EncodedPage, compressed: number): void {
  const dictionary = page.type === "DICTIONARY_PAGE";
  writeI32(out, 1, dictionary ? DICTIONARY_PAGE : DATA_PAGE_V2);
  writeI32(out, 1, page.levels.length + page.data.length);
  writeI32(out, 1, page.levels.length + compressed);
  if (dictionary) {
    // Field 7, dictionary_page_header: num_values, encoding.
    out.appendUint8((4 << 4) | STRUCT);
    writeI32(out, 1, page.values);
    writeI32(out, 1, ENCODING_NUMBER.PLAIN as number);
  } else {
    // Field 8, data_page_header_v2: num_values, num_nulls, num_rows, encoding, the levels' byte
    // lengths (is_compressed left at its default, true).
    out.appendUint8((5 << 4) | STRUCT);
    writeI32(out, 1, page.values);
    writeI32(out, 1, page.nulls);
    writeI32(out, 1, page.values);
    writeI32(out, 1, ENCODING_NUMBER[page.encoding] as number);
    writeI32(out, 1, page.levels.length);
    writeI32(out, 1, 0);
  }
  out.appendUint8(STOP);
  out.appendUint8(STOP);
}

const STOP = 0;
const I32 = 5;
const STRUCT = 12;

/** A compact-protocol i32 field `delta` ids after the previous field (1 to 15). */
function writeI32(out: ByteWriter, delta: number, value: number): void {
  out.appendUint8((delta << 4) | I32);
  out.appendVarInt(((value << 1) ^ (value >> 31)) >>> 0);
}

/** Encodes one chunk's pages into the arena, keeping its statistics. */
class ChunkWriter {
  readonly pages: EncodedPage[] = [];
  encoding: Encoding = "PLAIN";
  statistics: ChunkStatistics = { null_count: 0n };

  constructor(
    private readonly element: SchemaElement,
    private readonly scratch: ChunkScratch,
    private readonly pool: PagePool,
  ) {}

  // --- text ---------------------------------------------------------------------------------------

  text(rows: number, nulls: Uint8Array, arena: Uint8Array, ends: Int32Array): void {
    let nonNull = 0;
    for (let row = 0; row < rows; row++) nonNull += nulls[row] === 1 ? 0 : 1;
    const used = rows === 0 ? 0 : (ends[rows - 1] as number);
    this.statistics.null_count = BigInt(rows - nonNull);
    if (nonNull > 0 && this.dictionaryWorthTrying(rows, nulls, arena, ends, used + 4 * nonNull)) {
      const entries = this.buildDictionary(rows, nulls, arena, ends, used + 4 * nonNull);
      if (entries > 0) {
        this.textDictionary(rows, nulls, arena, entries, nonNull);
        return;
      }
    }
    this.textPlain(rows, nulls, arena, ends);
  }

  /**
   * Whether a sample of the column repeats enough for a dictionary to be worth building: a column of
   * distinct values (Ids, descriptions) is written PLAIN without hashing it whole.
   */
  private dictionaryWorthTrying(
    rows: number,
    nulls: Uint8Array,
    arena: Uint8Array,
    ends: Int32Array,
    plainBytes: number,
  ): boolean {
    const samples = Math.min(rows, 256);
    const table = this.scratch.table;
    table.fill(0, 0, 1024);
    const view = new DataView(arena.buffer, arena.byteOffset, arena.byteLength);
    let total = 0;
    let distinct = 0;
    for (let k = 0; k < samples; k++) {
      const row = samples === rows ? k : Math.floor((k * (rows - 1)) / (samples - 1));
      if (nulls[row] === 1) continue;
      const a = row === 0 ? 0 : (ends[row - 1] as number);
      const b = ends[row] as number;
      total += b - a + 4;
      // Hashes only: a collision undercounts distinct values, which only makes a dictionary try likelier.
      const hash = hashBytes(arena, view, a, b) | 1;
      let slot = hash & 1023;
      while (table[slot] !== 0 && table[slot] !== hash) slot = (slot + 1) & 1023;
      if (table[slot] === 0) {
        table[slot] = hash;
        distinct += b - a + 4;
      }
    }
    return total > 0 && plainBytes > 0 && distinct <= total * 0.9;
  }

  /**
   * Builds the column's dictionary into the scratch space (entries, and an index per non-null row);
   * returns its number of entries, or 0 when it would not at least halve the PLAIN values.
   */
  private buildDictionary(
    rows: number,
    nulls: Uint8Array,
    arena: Uint8Array,
    ends: Int32Array,
    plainBytes: number,
  ): number {
    const scratch = this.scratch;
    let size = 1 << 12;
    while (size < rows * 2) size *= 2;
    if (scratch.table.length < size) scratch.table = new Int32Array(size);
    const table = scratch.table;
    table.fill(0, 0, size);
    const mask = size - 1;
    if (scratch.indexes.length < rows)
      scratch.indexes = new Int32Array(Math.max(rows, scratch.indexes.length * 2));
    const indexes = scratch.indexes;
    const view = new DataView(arena.buffer, arena.byteOffset, arena.byteLength);
    let entryStart = scratch.entryStart;
    let entryEnd = scratch.entryEnd;
    let entryHash = scratch.entryHash;
    let entries = 0;
    let dictionaryBytes = 0;
    let n = 0;
    let b = 0;
    for (let row = 0; row < rows; row++) {
      const a = b;
      b = ends[row] as number;
      if (nulls[row] === 1) continue;
      const hash = hashBytes(arena, view, a, b);
      let slot = hash & mask;
      let found = -1;
      for (;;) {
        const held = table[slot] as number;
        if (held === 0) break;
        const entry = held - 1;
        if (
          entryHash[entry] === hash &&
          sameBytes(arena, entryStart[entry] as number, entryEnd[entry] as number, a, b)
        ) {
          found = entry;
          break;
        }
        slot = (slot + 1) & mask;
      }
      if (found < 0) {
        dictionaryBytes += b - a + 4;
        if (2 * dictionaryBytes > plainBytes) return 0;
        if (entries === entryStart.length) {
          entryStart = scratch.entryStart = grownInts(entryStart);
          entryEnd = scratch.entryEnd = grownInts(entryEnd);
          entryHash = scratch.entryHash = grownInts(entryHash);
        }
        entryStart[entries] = a;
        entryEnd[entries] = b;
        entryHash[entries] = hash;
        found = entries++;
        table[slot] = entries;
      }
      indexes[n++] = found;
    }
    const bitWidth = widthOf(entries - 1);
    return 2 * (dictionaryBytes + Math.ceil((n * bitWidth) / 8)) > plainBytes ? 0 : entries;
  }

  /** A dictionary page of the entries, then data pages of their indexes. */
  private textDictionary(
    rows: number,
    nulls: Uint8Array,
    arena: Uint8Array,
    entries: number,
    nonNull: number,
  ): void {
    const { entryStart, entryEnd, indexes } = this.scratch;
    let size = 0;
    for (let e = 0; e < entries; e++) size += 4 + (entryEnd[e] as number) - (entryStart[e] as number);
    const page = this.scratch.valuesWithRoom(size + 4);
    const view = new DataView(page.buffer);
    const from = new DataView(arena.buffer, arena.byteOffset, arena.byteLength);
    let o = 0;
    let min = 0;
    let max = 0;
    for (let e = 0; e < entries; e++) {
      const a = entryStart[e] as number;
      const b = entryEnd[e] as number;
      view.setInt32(o, b - a, true);
      o = copyWords(from, a, b, view, o + 4);
      if (e > 0) {
        if (compareBytes(arena, a, b, entryStart[min] as number, entryEnd[min] as number) < 0) min = e;
        if (compareBytes(arena, a, b, entryStart[max] as number, entryEnd[max] as number) > 0) max = e;
      }
    }
    this.statistics.min_value = arena.slice(entryStart[min], entryEnd[min]);
    this.statistics.max_value = arena.slice(entryStart[max], entryEnd[max]);
    this.dictionaryPage(page.subarray(0, o), entries);
    this.indexPages(rows, nulls, indexes, nonNull, widthOf(entries - 1), 4);
  }

  /** PLAIN byte arrays: each value's length (4 bytes), then its bytes. */
  private textPlain(rows: number, nulls: Uint8Array, arena: Uint8Array, ends: Int32Array): void {
    let min = -1;
    let minEnd = 0;
    let max = -1;
    let maxEnd = 0;
    let row = 0;
    let a = 0;
    while (row < rows) {
      const first = row;
      const pageStart = a;
      let bytes = 0;
      let nonNull = 0;
      // Rows up to about PAGE_BYTES of values.
      while (row < rows && bytes < PAGE_BYTES) {
        const b = ends[row] as number;
        if (nulls[row] !== 1) {
          bytes += 4 + b - a;
          nonNull++;
        }
        a = b;
        row++;
      }
      const page = this.scratch.valuesWithRoom(bytes + 4);
      const view = new DataView(page.buffer);
      const from = new DataView(arena.buffer, arena.byteOffset, arena.byteLength);
      let o = 0;
      let s = pageStart;
      for (let r = first; r < row; r++) {
        const e = ends[r] as number;
        if (nulls[r] !== 1) {
          view.setInt32(o, e - s, true);
          o = copyWords(from, s, e, view, o + 4);
          if (min < 0 || compareBytes(arena, s, e, min, minEnd) < 0) {
            min = s;
            minEnd = e;
          }
          if (max < 0 || compareBytes(arena, s, e, max, maxEnd) > 0) {
            max = s;
            maxEnd = e;
          }
        }
        s = e;
      }
      this.dataPage(nulls, first, row, nonNull, page.subarray(0, o), "PLAIN");
    }
    if (rows === 0) this.dataPage(nulls, 0, 0, 0, new Uint8Array(0), "PLAIN");
    if (min >= 0) {
      this.statistics.min_value = arena.slice(min, minEnd);
      this.statistics.max_value = arena.slice(max, maxEnd);
    }
  }

  /** Every row the same text: a one-entry dictionary and one run of index 0. */
  constant(rows: number, value: Uint8Array): void {
    const page = this.scratch.valuesWithRoom(4 + value.length);
    new DataView(page.buffer).setInt32(0, value.length, true);
    page.set(value, 4);
    this.dictionaryPage(page.subarray(0, 4 + value.length), 1);
    this.statistics.min_value = value;
    this.statistics.max_value = value;
    const values = this.scratch.intsWithRoom(rows);
    values.fill(0, 0, rows);
    this.indexPages(rows, undefined, values, rows, 0, 4);
  }

  // --- fixed width --------------------------------------------------------------------------------

  // Each type writes its pages in a loop of its own, with its bounds in local variables: in a shared
  // loop taking a callback they were closure variables, boxed on every store.

  int32(rows: number, nulls: Uint8Array, values: Int32Array): void {
    const perPage = PAGE_BYTES >> 2;
    let min = 0;
    let max = 0;
    let any = false;
    let nullCount = 0;
    for (let first = 0; first < rows; first += perPage) {
      const last = Math.min(rows, first + perPage);
      const page = this.scratch.valuesWithRoom((last - first) * 4);
      const out = new Int32Array(page.buffer, 0, last - first);
      let n = 0;
      for (let r = first; r < last; r++) {
        if (nulls[r] === 1) continue;
        const v = values[r] as number;
        out[n++] = v;
        if (!any) {
          min = v;
          max = v;
          any = true;
        } else if (v < min) min = v;
        else if (v > max) max = v;
      }
      nullCount += last - first - n;
      this.dataPage(nulls, first, last, n, page.subarray(0, n * 4), "PLAIN");
    }
    this.statistics.null_count = BigInt(nullCount);
    if (any) this.setRange(min, max);
  }

  /** Two words a row; an INT32 decimal (precision ≤ 9) writes the low word only. */
  int64(rows: number, nulls: Uint8Array, values: Int32Array): void {
    const narrow = this.element.type === "INT32";
    const words = narrow ? 1 : 2;
    const perPage = PAGE_BYTES >> (narrow ? 2 : 3);
    let minLo = 0;
    let minHi = 0;
    let maxLo = 0;
    let maxHi = 0;
    let any = false;
    let nullCount = 0;
    for (let first = 0; first < rows; first += perPage) {
      const last = Math.min(rows, first + perPage);
      const page = this.scratch.valuesWithRoom((last - first) * 4 * words);
      const out = new Int32Array(page.buffer, 0, (last - first) * words);
      let n = 0;
      let count = 0;
      for (let r = first; r < last; r++) {
        if (nulls[r] === 1) continue;
        const lo = values[2 * r] as number;
        const hi = values[2 * r + 1] as number;
        out[n++] = lo;
        if (!narrow) out[n++] = hi;
        count++;
        if (!any) {
          minLo = maxLo = lo;
          minHi = maxHi = hi;
          any = true;
        } else {
          if (hi < minHi || (hi === minHi && lo >>> 0 < minLo >>> 0)) {
            minHi = hi;
            minLo = lo;
          }
          if (hi > maxHi || (hi === maxHi && lo >>> 0 > maxLo >>> 0)) {
            maxHi = hi;
            maxLo = lo;
          }
        }
      }
      nullCount += last - first - count;
      this.dataPage(nulls, first, last, count, page.subarray(0, n * 4), "PLAIN");
    }
    this.statistics.null_count = BigInt(nullCount);
    if (any) this.setRange(int64Of(minLo, minHi), int64Of(maxLo, maxHi));
  }

  /** Whole milliseconds (doubles) written as INT64. */
  timestamp(rows: number, nulls: Uint8Array, values: Float64Array): void {
    const perPage = PAGE_BYTES >> 3;
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    let nullCount = 0;
    for (let first = 0; first < rows; first += perPage) {
      const last = Math.min(rows, first + perPage);
      const page = this.scratch.valuesWithRoom((last - first) * 8);
      const out = new Int32Array(page.buffer, 0, 2 * (last - first));
      let n = 0;
      for (let r = first; r < last; r++) {
        if (nulls[r] === 1) continue;
        const v = values[r] as number;
        const hi = Math.floor(v / TWO_32);
        out[n++] = v - hi * TWO_32;
        out[n++] = hi;
        if (v < min) min = v;
        if (v > max) max = v;
      }
      nullCount += last - first - n / 2;
      this.dataPage(nulls, first, last, n / 2, page.subarray(0, n * 4), "PLAIN");
    }
    this.statistics.null_count = BigInt(nullCount);
    if (min <= max) this.setRange(BigInt(min), BigInt(max));
  }

  double(rows: number, nulls: Uint8Array, values: Float64Array): void {
    const perPage = PAGE_BYTES >> 3;
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    let nullCount = 0;
    for (let first = 0; first < rows; first += perPage) {
      const last = Math.min(rows, first + perPage);
      const page = this.scratch.valuesWithRoom((last - first) * 8);
      const out = new Float64Array(page.buffer, 0, last - first);
      let n = 0;
      for (let r = first; r < last; r++) {
        if (nulls[r] === 1) continue;
        const v = values[r] as number;
        out[n++] = v;
        if (v < min) min = v;
        if (v > max) max = v;
      }
      nullCount += last - first - n;
      this.dataPage(nulls, first, last, n, page.subarray(0, n * 8), "PLAIN");
    }
    this.statistics.null_count = BigInt(nullCount);
    this.statistics.nan_count = 0n;
    // Parquet orders -0 before +0: the minimum is -0 and the maximum +0 when a bound is zero.
    if (min <= max) this.setRange(min === 0 ? -0 : min, max === 0 ? 0 : max);
  }

  /** PLAIN booleans: one bit each, the first in the lowest bit. */
  boolean(rows: number, nulls: Uint8Array, values: Uint8Array): void {
    const perPage = PAGE_BYTES * 8;
    let seen = 0;
    let nullCount = 0;
    for (let first = 0; first < rows; first += perPage) {
      const last = Math.min(rows, first + perPage);
      const page = this.scratch.valuesWithRoom(Math.ceil((last - first) / 8));
      let n = 0;
      let byte = 0;
      let o = 0;
      for (let r = first; r < last; r++) {
        if (nulls[r] === 1) continue;
        const v = values[r] as number;
        seen |= v === 1 ? 2 : 1;
        byte |= v << (n & 7);
        n++;
        if ((n & 7) === 0) {
          page[o++] = byte;
          byte = 0;
        }
      }
      if ((n & 7) !== 0) page[o++] = byte;
      nullCount += last - first - n;
      this.dataPage(nulls, first, last, n, page.subarray(0, o), "PLAIN");
    }
    this.statistics.null_count = BigInt(nullCount);
    if (seen !== 0) this.setRange(seen === 2, seen !== 1);
  }

  /** Decimals wider than 18 digits: two's complement, big-endian, in the type's length. */
  wide(rows: number, nulls: Uint8Array, values: Array<bigint | null>): void {
    const width = this.element.type_length as number;
    const perPage = Math.max(1, Math.floor(PAGE_BYTES / width));
    let min: bigint | undefined;
    let max: bigint | undefined;
    let nullCount = 0;
    for (let first = 0; first < rows; first += perPage) {
      const last = Math.min(rows, first + perPage);
      const page = this.scratch.valuesWithRoom((last - first) * width);
      let o = 0;
      let n = 0;
      for (let r = first; r < last; r++) {
        const v = values[r];
        if (v === null || v === undefined) continue;
        let rest = BigInt.asUintN(width * 8, v);
        for (let k = width - 1; k >= 0; k--) {
          page[o + k] = Number(rest & 0xffn);
          rest >>= 8n;
        }
        o += width;
        n++;
        if (min === undefined || v < min) min = v;
        if (max === undefined || v > max) max = v;
      }
      nullCount += last - first - n;
      this.dataPage(nulls, first, last, n, page.subarray(0, o), "PLAIN");
    }
    this.statistics.null_count = BigInt(nullCount);
    if (min !== undefined && max !== undefined) this.setRange(min, max);
  }

  private setRange(min: number | bigint | boolean, max: number | bigint | boolean): void {
    this.statistics.min_value = min;
    this.statistics.max_value = max;
  }

  // --- pages --------------------------------------------------------------------------------------

  private dictionaryPage(values: Uint8Array, entries: number): void {
    this.pages.push({
      type: "DICTIONARY_PAGE",
      values: entries,
      nulls: 0,
      encoding: "PLAIN",
      levels: EMPTY,
      data: this.pool.copy(values),
    });
  }

  /** Data pages of dictionary indexes (`indexes` has one per non-null row, in row order). */
  private indexPages(
    rows: number,
    nulls: Uint8Array | undefined,
    indexes: Int32Array,
    nonNull: number,
    bitWidth: number,
    width: number,
  ): void {
    const perPage = Math.max(1, Math.floor(PAGE_BYTES / width));
    let at = 0;
    for (let first = 0; first < rows || first === 0; first += perPage) {
      const last = Math.min(rows, first + perPage);
      let count = last - first;
      if (nulls !== undefined) for (let r = first; r < last; r++) count -= nulls[r] === 1 ? 1 : 0;
      const page = this.scratch.valuesWithRoom(
        1 + Math.ceil((count * Math.max(bitWidth, 1)) / 8) + 16 * (count / 8 + 1),
      );
      page[0] = bitWidth;
      const length = writeHybrid(indexes, at, at + count, bitWidth, page, 1);
      at += count;
      this.dataPage(nulls, first, last, count, page.subarray(0, length), "RLE_DICTIONARY");
      if (rows === 0) break;
    }
    if (at !== nonNull) throw new Error(`parquet: ${at} dictionary indexes written, ${nonNull} expected`);
  }

  /** One DATA_PAGE_V2 of rows [first, last): definition levels, then the values (compressed later). */
  private dataPage(
    nulls: Uint8Array | undefined,
    first: number,
    last: number,
    nonNull: number,
    values: Uint8Array,
    encoding: Encoding,
  ): void {
    const levels = this.definitionLevels(nulls, first, last, nonNull).slice();
    this.pages.push({
      type: "DATA_PAGE_V2",
      values: last - first,
      nulls: last - first - nonNull,
      encoding,
      levels,
      data: this.pool.copy(values),
    });
    this.encoding = encoding;
  }

  /** Definition levels of rows [first, last) (1: a value, 0: null), RLE/bit-packed with width 1. */
  private definitionLevels(
    nulls: Uint8Array | undefined,
    first: number,
    last: number,
    nonNull: number,
  ): Uint8Array {
    const rows = last - first;
    const scratch = this.scratch;
    if (scratch.levels.length < rows / 4 + 64) scratch.levels = new Uint8Array(Math.ceil(rows / 4) + 64);
    const levels = scratch.levels;
    if (rows === 0) return levels.subarray(0, 0);
    if (nonNull === rows || nonNull === 0) {
      // One run: its length, then the level in one byte.
      const o = writeVarInt(levels, 0, rows * 2);
      levels[o] = nonNull === 0 ? 0 : 1;
      return levels.subarray(0, o + 1);
    }
    const ints = scratch.intsWithRoom(rows);
    const source = nulls as Uint8Array;
    for (let r = first; r < last; r++) ints[r - first] = 1 - (source[r] as number);
    return levels.subarray(0, writeHybrid(ints, 0, rows, 1, levels, 0));
  }
}

/** The bits an unsigned value needs (0 for 0). */
function widthOf(max: number): number {
  return max <= 0 ? 0 : 32 - Math.clz32(max);
}

function grownInts(array: Int32Array): Int32Array<ArrayBuffer> {
  const next = new Int32Array(array.length * 2);
  next.set(array);
  return next;
}

/** The signed 64-bit integer of a low and a high word. */
function int64Of(lo: number, hi: number): bigint {
  return (BigInt(hi) << 32n) | BigInt(lo >>> 0);
}

/**
 * Copies `from[a, b)` to `to` at `o` a word at a time; returns the end. The last word may read up to
 * three bytes past `b` (the column arena keeps that room) and write them past the end, which what
 * follows overwrites (the page keeps room for them).
 */
function copyWords(from: DataView, a: number, b: number, to: DataView, o: number): number {
  for (let p = a, q = o; p < b; p += 4, q += 4) to.setInt32(q, from.getInt32(p, true), true);
  return o + b - a;
}

/** Unsigned lexicographic order of `bytes[a, b)` and `bytes[c, d)`. */
function compareBytes(bytes: Uint8Array, a: number, b: number, c: number, d: number): number {
  const n = Math.min(b - a, d - c);
  for (let k = 0; k < n; k++) {
    const x = bytes[a + k] as number;
    const y = bytes[c + k] as number;
    if (x !== y) return x - y;
  }
  return b - a - (d - c);
}

function sameBytes(bytes: Uint8Array, a: number, b: number, c: number, d: number): boolean {
  if (b - a !== d - c) return false;
  for (let k = 0; k < b - a; k++) if (bytes[a + k] !== bytes[c + k]) return false;
  return true;
}

/** A 30-bit hash of `bytes[a, b)`, four bytes at a time. */
function hashBytes(bytes: Uint8Array, view: DataView, a: number, b: number): number {
  let h = 0x811c9dc5 ^ (b - a);
  let p = a;
  for (; p + 4 <= b; p += 4) {
    h = Math.imul(h ^ view.getInt32(p, true), 0x9e3779b1);
    h ^= h >>> 15;
  }
  for (; p < b; p++) h = Math.imul(h ^ (bytes[p] as number), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  // 30 bits: a small integer to V8, where a full 32-bit result could be a heap number per call.
  return h & 0x3fffffff;
}

/** Writes `value` as an unsigned LEB128 varint at `out[o]`; returns the end. */
function writeVarInt(out: Uint8Array, o: number, value: number): number {
  let v = value;
  let p = o;
  while (v > 0x7f) {
    out[p++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  out[p++] = v;
  return p;
}

/**
 * The RLE/bit-packed hybrid encoding of `values[from, to)` at `bitWidth` bits, written at `out[o]`
 * (which has room: a byte per value and some); returns the end. Runs of 8 or more equal values are
 * run-length encoded, the rest bit-packed in groups of 8 (the last group padded with zeros).
 */
function writeHybrid(
  values: Int32Array,
  from: number,
  to: number,
  bitWidth: number,
  out: Uint8Array,
  o: number,
): number {
  const bytesPerValue = (bitWidth + 7) >> 3;
  let p = o;
  let i = from;
  let packedStart = -1;
  let packedGroups = 0;
  while (i < to) {
    const v = values[i] as number;
    let run = 1;
    while (i + run < to && values[i + run] === v) run++;
    if (run >= 8) {
      if (packedGroups > 0) {
        p = writePacked(values, packedStart, to, packedGroups, bitWidth, out, p);
        packedGroups = 0;
      }
      p = writeVarInt(out, p, run * 2);
      for (let k = 0; k < bytesPerValue; k++) out[p++] = (v >>> (8 * k)) & 0xff;
      i += run;
    } else {
      if (packedGroups === 0) packedStart = i;
      packedGroups++;
      i += 8;
    }
  }
  if (packedGroups > 0) p = writePacked(values, packedStart, to, packedGroups, bitWidth, out, p);
  return p;
}

function writePacked(
  values: Int32Array,
  start: number,
  to: number,
  groups: number,
  bitWidth: number,
  out: Uint8Array,
  o: number,
): number {
  let p = writeVarInt(out, o, groups * 2 + 1);
  if (bitWidth === 0) return p;
  const end = start + groups * 8;
  let buffer = 0;
  let bits = 0;
  for (let i = start; i < end; i++) {
    buffer |= (i < to ? (values[i] as number) : 0) << bits;
    bits += bitWidth;
    while (bits >= 8) {
      out[p++] = buffer & 0xff;
      buffer >>>= 8;
      bits -= 8;
    }
  }
  if (bits > 0) out[p++] = buffer & 0xff;
  return p;
}
