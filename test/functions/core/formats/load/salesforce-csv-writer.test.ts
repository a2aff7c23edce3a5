import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readCsv } from "../../../../../functions/core/formats/load/csv-reader";
import {
  type CsvCell,
  SalesforceCsvWriter,
} from "../../../../../functions/core/formats/load/salesforce-csv-writer";
import { DataError, ReconciliationError } from "../../../../../functions/errors";
import { chunked, readAll } from "./inbound-support";

const decoder = new TextDecoder();

function text(chunks: readonly Uint8Array[]): string {
  return chunks.map((c) => decoder.decode(c, { stream: true })).join("") + decoder.decode();
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

describe("SalesforceCsvWriter", () => {
  it("writes a header and rows with CRLF, quoting only where needed", () => {
    // Prepare
    const writer = new SalesforceCsvWriter(["Name", "Account.ERP_Id__c", "Description", "Phone"]);

    // Act
    writer.write(["Acme", "A-1", 'Says "hi", twice', null]);
    writer.write(["Multi\nline", undefined, " padded ", "a\rb"]);
    writer.write(["tab\tinside", "", "trailing\t", "ünï 東京"]);
    const csv = text(writer.endFile());

    // Assess
    expect(csv).toBe(
      "Name,Account.ERP_Id__c,Description,Phone\r\n" +
        'Acme,A-1,"Says ""hi"", twice",#N/A\r\n' +
        '"Multi\nline",," padded ","a\rb"\r\n' +
        'tab\tinside,,"trailing\t",ünï 東京\r\n',
    );
  });

  it("quotes a lone empty cell so the row is not a blank line", () => {
    const writer = new SalesforceCsvWriter(["Id"]);

    writer.write([""]);

    expect(text(writer.endFile())).toBe('Id\r\n""\r\n');
  });

  it("tracks bytes and refuses a row that would take the file past the limit, then starts a new file", () => {
    // Prepare: header "Id\r\n" (4 bytes) + rows of 20 bytes.
    const writer = new SalesforceCsvWriter(["Id"], { maxFileBytes: 50, chunkBytes: 8 });
    const row = ["001000000000001AAA"];

    // Act
    const accepted = [writer.write(row), writer.write(row), writer.write(row)];
    const bytesBefore = writer.fileBytes;
    const first = writer.endFile();
    const again = writer.write(row);
    const second = writer.endFile();

    // Assess
    expect(accepted).toEqual([true, true, false]);
    expect(bytesBefore).toBe(44);
    expect(first.every((c) => c.length <= 8)).toBe(true);
    expect(text(first)).toBe("Id\r\n001000000000001AAA\r\n001000000000001AAA\r\n");
    expect(again).toBe(true);
    expect(text(second)).toBe("Id\r\n001000000000001AAA\r\n");
    expect(writer.files).toBe(2);
    expect(writer.totals).toEqual({ bytes: 68, rows: 3 });
  });

  it("refuses a row past the limit without leaving its bytes behind, with room to spare in the chunk", () => {
    // Prepare: header "Id\r\n" (4 bytes) + rows of 20 bytes, in one large chunk.
    const writer = new SalesforceCsvWriter(["Id"], { maxFileBytes: 50, chunkBytes: 1024 });
    const row = ["001000000000001AAA"];

    // Act
    const accepted = [writer.write(row), writer.write(row), writer.write(["002000000000002BBB"])];
    const first = writer.endFile();
    writer.write(["003000000000003CCC"]);
    const second = writer.endFile();

    // Assess
    expect(accepted).toEqual([true, true, false]);
    expect(text(first)).toBe("Id\r\n001000000000001AAA\r\n001000000000001AAA\r\n");
    expect(text(second)).toBe("Id\r\n003000000000003CCC\r\n");
    expect(writer.totals).toEqual({ bytes: 68, rows: 3 });
  });

  it("writes the same bytes whatever the chunk size, for rows longer and shorter than a chunk", () => {
    const rows: CsvCell[][] = [
      ["short", "ünï 東京 😀"],
      ["x".repeat(300), 'quote " and, comma'],
      [null, undefined],
      ["é".repeat(100), " lead"],
    ];
    const written = [7, 64, 256, 4096].map((chunkBytes) => {
      const writer = new SalesforceCsvWriter(["A", "B"], { chunkBytes });
      for (const row of rows) expect(writer.write(row)).toBe(true);
      return text(writer.endFile());
    });

    const expected =
      "A,B\r\nshort,ünï 東京 😀\r\n" +
      `${"x".repeat(300)},"quote "" and, comma"\r\n#N/A,\r\n${"é".repeat(100)}," lead"\r\n`;
    for (const csv of written) expect(csv).toBe(expected);
  });

  it("hands out a file's last chunk as a copy: the next file's rows do not change it", () => {
    const writer = new SalesforceCsvWriter(["Name"], { chunkBytes: 1024 });
    writer.write(["first"]);
    const first = writer.endFile();

    writer.write(["SECOND"]);
    writer.endFile();

    expect(text(first)).toBe("Name\r\nfirst\r\n");
  });

  it("hands out full chunks as they fill", () => {
    const writer = new SalesforceCsvWriter(["Name"], { chunkBytes: 16 });

    for (let k = 0; k < 10; k++) writer.write([`Name number ${k}`]);
    const early = writer.takeChunks();
    const rest = writer.endFile();

    expect(early.length).toBeGreaterThan(5);
    expect(early.every((c) => c.length === 16)).toBe(true);
    expect(text([...early, ...rest]).split("\r\n")).toHaveLength(12);
  });

  it("refuses a row larger than a whole file and a row of the wrong width", () => {
    const writer = new SalesforceCsvWriter(["Description"], { maxFileBytes: 100 });

    expect(() => writer.write(["x".repeat(200)])).toThrow(DataError);
    expect(() => writer.write(["a", "b"])).toThrow(ReconciliationError);
  });

  it("round-trips arbitrary strings through the CSV reader", async () => {
    const cellArb: fc.Arbitrary<CsvCell> = fc.oneof(
      { weight: 6, arbitrary: fc.string({ unit: "grapheme", maxLength: 20 }) },
      {
        weight: 3,
        arbitrary: fc.string({
          unit: fc.constantFrom('"', ",", "\r", "\n", " ", "\t", "a", "é"),
          maxLength: 8,
        }),
      },
      { weight: 1, arbitrary: fc.constantFrom<CsvCell>(null, undefined) },
    );

    await fc.assert(
      fc.asyncProperty(
        fc
          .integer({ min: 1, max: 5 })
          .chain((width) =>
            fc.tuple(fc.constant(width), fc.array(fc.array(cellArb, { minLength: width, maxLength: width }))),
          ),
        fc.array(fc.nat({ max: 400 }), { maxLength: 5 }),
        async ([width, rows], cuts) => {
          // Prepare
          const columns = Array.from({ length: width }, (_, k) => `Field_${k}__c`);
          const writer = new SalesforceCsvWriter(columns, { chunkBytes: 7 });
          for (const row of rows) expect(writer.write(row)).toBe(true);
          const bytes = concat(writer.endFile());

          // Act
          const result = rows.length === 0 ? undefined : await readAll(readCsv(chunked(bytes, cuts)));

          // Assess
          if (result === undefined) {
            expect(bytes).toHaveLength(0);
            return;
          }
          expect(result.header).toEqual(columns);
          expect(result.rejected).toEqual([]);
          expect(result.rows.map((r) => r.values)).toEqual(
            rows.map((row) => row.map((v) => (v === null ? "#N/A" : (v ?? "")))),
          );
        },
      ),
      { numRuns: 500 },
    );
  });
});
