import { ByteWriter } from "hyparquet-writer";
import { writePageHeader as thriftPageHeader } from "hyparquet-writer/src/datapage.js";
import { describe, expect, it } from "vitest";
import {
  type EncodedPage,
  writePageHeader,
} from "../../../../../functions/core/formats/extract/parquet-column-chunk";

function bytesOf(write: (out: ByteWriter) => void): Uint8Array {
  const out = new ByteWriter();
  write(out);
  return out.getBytes().slice();
}

describe("Parquet page headers", () => {
  it.each([
    {
      type: "DATA_PAGE_V2",
      values: 12_856,
      nulls: 1_256,
      encoding: "RLE_DICTIONARY",
      levels: 300,
      data: 2_000_000,
    },
    { type: "DATA_PAGE_V2", values: 3, nulls: 0, encoding: "PLAIN", levels: 2, data: 24 },
    { type: "DICTIONARY_PAGE", values: 70_000, nulls: 0, encoding: "PLAIN", levels: 0, data: 400_000 },
  ] as const)("writes the bytes a Thrift serializer writes: $type, $encoding", (shape) => {
    // Prepare
    const page: EncodedPage = {
      type: shape.type,
      values: shape.values,
      nulls: shape.nulls,
      encoding: shape.encoding,
      levels: new Uint8Array(shape.levels),
      data: new Uint8Array(shape.data),
    };
    const compressed = Math.floor(shape.data / 3);

    // Act
    const ours = bytesOf((out) => writePageHeader(out, page, compressed));

    // Assess: hyparquet-writer's serializer, given the same header, writes the same bytes.
    const theirs = bytesOf((out) =>
      thriftPageHeader(
        out,
        shape.type === "DICTIONARY_PAGE"
          ? {
              type: "DICTIONARY_PAGE",
              uncompressed_page_size: shape.data,
              compressed_page_size: compressed,
              dictionary_page_header: { num_values: shape.values, encoding: "PLAIN" },
            }
          : {
              type: "DATA_PAGE_V2",
              uncompressed_page_size: shape.levels + shape.data,
              compressed_page_size: shape.levels + compressed,
              data_page_header_v2: {
                num_values: shape.values,
                num_nulls: shape.nulls,
                num_rows: shape.values,
                encoding: shape.encoding,
                definition_levels_byte_length: shape.levels,
                repetition_levels_byte_length: 0,
                is_compressed: true,
              },
            },
      ),
    );
    expect([...ours]).toEqual([...theirs]);
  });
});
