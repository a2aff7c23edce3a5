import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type CsvReadOptions, readCsv } from "../../../../../functions/core/formats/load/csv-reader";
import { DataError } from "../../../../../functions/errors";
import { bytesOf, chunked, readAll } from "./inbound-support";

function read(bytes: Uint8Array, cuts: number[] = [], options: CsvReadOptions = {}) {
  return readAll(readCsv(chunked(bytes, cuts), options));
}

async function dataError(run: () => Promise<unknown>): Promise<DataError> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(DataError);
    return error as DataError;
  }
  throw new Error("expected a DataError");
}

const SAMPLE = [
  "Name,Account.ERP_Id__c,Description",
  'Acme,A-1,"Says ""hi"", twice"',
  '"Multi","A-2","line one',
  'line two"',
  ",,",
  "Zürich 東京,A-3,plain",
].join("\n");

const SAMPLE_ROWS = [
  { line: 2, values: ["Acme", "A-1", 'Says "hi", twice'] },
  { line: 3, values: ["Multi", "A-2", "line one\nline two"] },
  { line: 5, values: ["", "", ""] },
  { line: 6, values: ["Zürich 東京", "A-3", "plain"] },
];

describe("readCsv", () => {
  it("reads a header and rows with optional quotes, doubled quotes and newlines inside fields", async () => {
    // Act
    const result = await read(bytesOf(`${SAMPLE}\n`));

    // Assess
    expect(result.header).toEqual(["Name", "Account.ERP_Id__c", "Description"]);
    expect(result.rows).toEqual(SAMPLE_ROWS);
    expect(result.rejected).toEqual([]);
  });

  it("reads the same rows whatever the chunk boundaries, including inside UTF-8 sequences", async () => {
    const bytes = bytesOf(SAMPLE);

    for (let cut = 0; cut <= bytes.length; cut++) {
      const result = await read(bytes, [cut]);
      expect(result.rows, `cut at ${cut}`).toEqual(SAMPLE_ROWS);
    }
    const oneByOne = await read(
      bytes,
      Array.from({ length: bytes.length }, (_, k) => k),
    );
    expect(oneByOne.rows).toEqual(SAMPLE_ROWS);
  });

  it("reads rows mixing plain, UTF-8, quoted and escaped fields, more than 64 of them, cut anywhere", async () => {
    const cell = fc.oneof(
      fc.string({ unit: fc.constantFrom("a", "Z", "7", " ", ".", "-"), maxLength: 12 }),
      fc.string({ unit: fc.constantFrom("a", "é", "東", "😀", " "), maxLength: 6 }),
      fc.string({ unit: fc.constantFrom("a", ",", "\n", '"', "é"), maxLength: 6 }),
    );
    const quoted = (value: string) => (/[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);

    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 70 }).chain((width) =>
          fc.tuple(
            fc.constant(width),
            fc.array(fc.array(cell, { minLength: width, maxLength: width }), {
              minLength: 1,
              maxLength: 4,
            }),
            fc.array(fc.nat({ max: 2000 }), { maxLength: 3 }),
          ),
        ),
        async ([width, rows, cuts]) => {
          // Prepare: a header of `width` columns; a lone empty cell would be a blank line, so quote it.
          const header = Array.from({ length: width }, (_, k) => `F${k}`);
          const lines = rows.map((row) => (width === 1 && row[0] === "" ? '""' : row.map(quoted).join(",")));
          const bytes = bytesOf(`${[header.join(","), ...lines].join("\r\n")}\r\n`);

          // Act
          const result = await read(bytes, cuts);

          // Assess
          expect(result.rejected).toEqual([]);
          expect(result.rows.map((row) => row.values)).toEqual(rows);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("looks at no byte past the input read so far, whatever an earlier chunk left in the buffer", async () => {
    // Prepare: the first chunk leaves a quote, then a line feed, where the last record ends at EOF.
    const quoteAfter = bytesOf('A\n""""""\n"ab"');
    const lineFeedAfter = bytesOf("A\n\n\n\nx\r");

    // Act
    const quoted = await read(quoteAfter, [10]);
    const lastCr = await read(lineFeedAfter, [5]);

    // Assess
    expect(quoted.rows.map((row) => row.values)).toEqual([['""'], ["ab"]]);
    expect(lastCr.rows.map((row) => row.values)).toEqual([["x"]]);
  });

  it("reports invalid UTF-8 before a later problem of the same row", async () => {
    const bytes = bytesOf("Name,City,Note\nAcme,Z", [0xfc], 'rich,5" screen\n');

    const error = await dataError(() => read(bytes));

    expect(error.message).toContain("not valid UTF-8");
    expect(error.column).toBe(2);
  });

  it("accepts CRLF and lone CR line endings, a BOM, blank lines and an empty trailing line", async () => {
    // Prepare
    const crlf = bytesOf([0xef, 0xbb, 0xbf], "Name,Phone\r\nAcme,1\r\n\r\nBeta,2\rGamma,3\r\n\r\n");

    // Act
    const result = await read(crlf);

    // Assess
    expect(result.header).toEqual(["Name", "Phone"]);
    expect(result.rows).toEqual([
      { line: 2, values: ["Acme", "1"] },
      { line: 4, values: ["Beta", "2"] },
      { line: 5, values: ["Gamma", "3"] },
    ]);
  });

  it("trims spaces around header names", async () => {
    const result = await read(bytesOf(" Name , Phone\nAcme,1\n"));

    expect(result.header).toEqual(["Name", "Phone"]);
  });

  it("rejects rows with a different number of fields one by one, and goes on", async () => {
    // Prepare
    const bytes = bytesOf('Name,Phone\nAcme,1\nBeta\n"Gam,ma",3,extra\nDelta,4\n');

    // Act
    const result = await read(bytes);

    // Assess
    expect(result.rows.map((r) => r.values[0])).toEqual(["Acme", "Delta"]);
    expect(result.rejected).toEqual([
      {
        line: 3,
        message:
          "The row has 1 field, the header has 2: quote values that contain commas, or add the missing fields",
        text: "Beta",
      },
      {
        line: 4,
        message:
          "The row has 3 fields, the header has 2: quote values that contain commas, or add the missing fields",
        text: '"Gam,ma",3,extra',
      },
    ]);
  });

  it("hands rows out in batches", async () => {
    const bytes = bytesOf("A\n1\n2\n3\n4\n5\n");

    const result = await read(bytes, [], { batchRows: 2 });

    expect(result.batches).toBe(3);
    expect(result.rows.map((r) => r.values[0])).toEqual(["1", "2", "3", "4", "5"]);
  });

  it.each([
    ["an empty file", bytesOf(""), 1, undefined, "The file is empty"],
    ["a file with only a BOM", bytesOf([0xef, 0xbb, 0xbf]), 1, undefined, "The file is empty"],
    ["only blank lines", bytesOf("\n\r\n\n"), 1, undefined, "no header row"],
    ["a blank header", bytesOf(",,\n1,2,3\n"), 1, undefined, "The header row is blank"],
    ["an empty column name", bytesOf("Name,,Phone\n"), 1, 2, "Header column 2 has no name"],
    ["a duplicate column", bytesOf("Name,Phone,name\n"), 1, 3, 'Header column 3 "name" repeats column 1'],
    ["invalid UTF-8", bytesOf("Name,City\nAcme,Z", [0xfc], "rich\n"), 2, 2, "not valid UTF-8"],
    ["a NUL byte", bytesOf("Name,City\nAcme,x", [0], "\n"), 2, 2, "NUL bytes"],
    ["UTF-16 text", bytesOf([0xff, 0xfe, 0x4e, 0x00, 0x61, 0x00]), 1, 1, "NUL bytes"],
    ["an unterminated quote", bytesOf('Name,Note\nAcme,ok\nBeta,"never\nclosed\n'), 3, 2, "never closed"],
    [
      "a quote inside an unquoted field",
      bytesOf('Name,Note\nAcme,5" screen\n'),
      2,
      2,
      "a quote in the middle",
    ],
    [
      "text after a closing quote",
      bytesOf('Name,Note\nAcme,"5" screen\n'),
      2,
      2,
      "unexpected text after a closing quote",
    ],
  ])("rejects %s with line and column", async (_label, bytes, line, column, message) => {
    const error = await dataError(() => read(bytes));

    expect(error.message).toContain(message);
    expect(error.line).toBe(line);
    expect(error.column).toBe(column);
  });

  it("rejects a field over maxFieldBytes, also before the file ends (bounded memory)", async () => {
    // Prepare: a quote that never closes, followed by much more data than the limit.
    const bytes = bytesOf(`Name,Note\nAcme,"open\n${"x,".repeat(5000)}`);
    const cuts = Array.from({ length: 100 }, (_, k) => (k + 1) * 100);

    // Act
    const error = await dataError(() => read(bytes, cuts, { maxFieldBytes: 1000 }));

    // Assess
    expect(error.message).toContain("longer than 1000 bytes");
    expect(error.message).toContain("quote that is never closed");
    expect(error.line).toBe(2);
    expect(error.column).toBe(2);
  });

  it("accepts a field of exactly maxFieldBytes", async () => {
    const bytes = bytesOf(`Note\n"${"é".repeat(500)}"\n`);

    const result = await read(bytes, [], { maxFieldBytes: 1000 });

    expect(result.rows[0]?.values[0]).toHaveLength(500);
  });

  it("never throws anything but DataError on arbitrary bytes, and every error has a line", async () => {
    const alphabet = fc.constantFrom(...'"AB,\n\r \u00e9'.split(""), "\u0000", "\uFEFF");
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 60 }),
      fc.array(alphabet, { maxLength: 40 }).map((parts) => bytesOf(parts.join(""))),
    );

    await fc.assert(
      fc.asyncProperty(bytes, fc.array(fc.nat({ max: 70 }), { maxLength: 4 }), async (input, cuts) => {
        try {
          const result = await read(input, cuts, { maxFieldBytes: 20 });
          for (const row of result.rows) expect(row.values).toHaveLength(result.header.length);
        } catch (error) {
          expect(error).toBeInstanceOf(DataError);
          const { line, column, message } = error as DataError;
          expect(line).toBeGreaterThanOrEqual(1);
          // Only problems of the whole file or a whole row have no column.
          if (!/The file is empty|no header row|header row is blank|The row starting at line/.test(message)) {
            expect(column).toBeGreaterThanOrEqual(1);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });
});
