/**
 * A Parquet part, written one row group at a time (hyparquet-writer's ParquetWriter, fed a LakeBatch)
 * into bytes handed to the part upload after each row group: memory holds the row group being gathered
 * and the one being encoded, never the whole part.
 *
 * The physical types follow the lake type of each column (lakeTypeOf in core/lake/lake-names.ts):
 * string → BYTE_ARRAY UTF8, boolean → BOOLEAN, int → INT32, bigint → INT64, double → DOUBLE,
 * decimal(p,s) → INT32 (p ≤ 9), INT64 (p ≤ 18) or FIXED_LEN_BYTE_ARRAY (p ≤ 38) with the DECIMAL
 * logical type, date → INT32 DATE, timestamp → INT64 TIMESTAMP(isAdjustedToUTC, MILLIS); every column
 * optional, with statistics (min, max, null count); pages compressed with ZSTD (SNAPPY where the Node
 * runtime has no zstd), so parts are not gzipped.
 */
import zlib from "node:zlib";
import {
  ByteWriter,
  type ColumnSource,
  ParquetWriter,
  type SchemaElement,
  type Writer,
} from "hyparquet-writer";
import type { LakeColumn, LakeType } from "../../lake/lake-names";
import { ORIGIN_COLUMN, type RowOrigin, RUN_ID_COLUMN } from "../../lake/lake-names";
import type { ColumnValues, LakeBatch } from "./lake-batch";

/**
 * A row group closes at this many rows or this many value bytes, whichever comes first. Memory, not
 * Athena, sets the size: encoding a row group costs about ten times its bytes in the JS heap before
 * the garbage is collected (peak RSS for a 250,000-row page of the bench object: 8 MiB groups 161 MB,
 * 12 MiB 212 MB, 16 MiB 272 MB, 32 MiB 306 MB), and the extract's target is ≤ 200 MB. 8 MiB is about
 * 10,000 rows of a 40-column object (~1.5 MB compressed), which Athena still reads by column chunk
 * and skips by statistics; narrow objects reach the row cap first.
 */
export const ROW_GROUP_MAX_ROWS = 100_000;
export const ROW_GROUP_MAX_BYTES = 8 * 1024 * 1024;

/** zstd level 1: the fastest; higher levels shrink these pages little for much more CPU. */
const ZSTD_LEVEL = 1;

const zstdCompressSync = (zlib as { zstdCompressSync?: typeof zlib.zstdCompressSync }).zstdCompressSync;

/** The compression codec parts use: ZSTD with Node's zlib (22.15 and later), SNAPPY otherwise. */
export const PARQUET_CODEC: "ZSTD" | "SNAPPY" = zstdCompressSync === undefined ? "SNAPPY" : "ZSTD";

function zstd(bytes: Uint8Array): Uint8Array {
  return (zstdCompressSync as typeof zlib.zstdCompressSync)(bytes, {
    params: { [zlib.constants.ZSTD_c_compressionLevel]: ZSTD_LEVEL },
  });
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

export class ParquetPartWriter {
  private readonly writer = new ByteWriter(1 << 20);
  private readonly parquet: ParquetWriter;
  /** The constant columns after the stream's, encoded: the run id, and the origin when given. */
  private readonly constants: Uint8Array[];
  private readonly origin: RowOrigin | undefined;
  private rowCount = 0;

  /**
   * @param send receives the part's bytes in order, after each row group and at the end; it may keep
   *   them (they are a copy)
   * @param origin how every row of this part was found, when not by the run's query (`_origin`)
   */
  constructor(
    private readonly columns: LakeColumn[],
    runId: string,
    private readonly send: (bytes: Uint8Array) => Promise<void>,
    origin?: RowOrigin,
  ) {
    this.origin = origin;
    const encoder = new TextEncoder();
    this.constants = [runId, ...(origin === undefined ? [] : [origin])].map((text) => encoder.encode(text));
    // The writer calls flush after each row group and finish after the footer.
    const writer: Writer = this.writer;
    writer.flush = () => this.sendBuffered();
    writer.finish = () => this.sendBuffered();
    this.parquet = new ParquetWriter({
      writer: this.writer,
      schema: parquetSchema(columns, origin),
      codec: PARQUET_CODEC,
      compressors: PARQUET_CODEC === "ZSTD" ? { ZSTD: zstd } : {},
      statistics: true,
      createdBy: "saddledata",
    });
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
   * Writes the batch as one row group (nothing when it is empty) and sends its bytes. The batch can be
   * reset and refilled once this resolves.
   */
  async writeRowGroup(batch: LakeBatch): Promise<void> {
    const rows = batch.rows;
    if (rows === 0) return;
    await this.parquet.write({ columnData: this.columnData(batch), rowGroupSize: rows });
    this.keepStatistics();
    this.rowCount += rows;
  }

  /** Writes the footer and sends the last bytes. */
  async finish(): Promise<void> {
    await this.parquet.finish();
  }

  /**
   * The row group's columns, each made into JS values only when the writer reaches it (the writer
   * takes columns one after the other), so one column's values exist at a time, not the row group's.
   */
  private columnData(batch: LakeBatch): ColumnSource[] {
    const rows = batch.rows;
    let cached: { index: number; values: ColumnValues } | undefined;
    const valuesOf = (index: number): ColumnValues => {
      if (cached?.index !== index) {
        const column = batch.columns[index];
        cached = {
          index,
          values:
            column === undefined
              ? new Array(rows).fill(this.constants[index - batch.columns.length])
              : column.values(),
        };
      }
      return cached.values;
    };
    const names = [...this.columns.map((column) => column.name), ...tailColumns(this.origin)];
    return names.map((name, index) => ({
      name,
      get data() {
        return valuesOf(index) as ColumnSource["data"];
      },
    }));
  }

  /**
   * Copies the text minimum and maximum of the row group just written: the writer keeps them for the
   * footer, and they are views into the batch, which the next row group overwrites.
   */
  private keepStatistics(): void {
    for (const chunk of this.parquet.row_groups.at(-1)?.columns ?? []) {
      const statistics = chunk.meta_data?.statistics;
      if (statistics === undefined) continue;
      if (statistics.min_value instanceof Uint8Array) statistics.min_value = statistics.min_value.slice();
      if (statistics.max_value instanceof Uint8Array) statistics.max_value = statistics.max_value.slice();
    }
  }

  private sendBuffered(): Promise<void> {
    const bytes = new Uint8Array(this.writer.buffer, 0, this.writer.index).slice();
    this.writer.index = 0;
    return bytes.length === 0 ? Promise.resolve() : this.send(bytes);
  }
}
