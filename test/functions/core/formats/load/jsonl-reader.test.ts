import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type JsonlReadOptions, readJsonl } from "../../../../../functions/core/formats/load/jsonl-reader";
import { DataError } from "../../../../../functions/errors";
import { bytesOf, chunked, readAll } from "./inbound-support";

function read(bytes: Uint8Array, cuts: number[] = [], options: JsonlReadOptions = {}) {
  return readAll(readJsonl(chunked(bytes, cuts), options));
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
  '{"Name": "Acme", "Account": {"ERP_Id__c": "A-1"}, "Employees": 12, "Active": true}',
  "",
  '{"Name": "Zürich 東京", "Active": false, "Revenue": 1.5, "Note": null}',
  '{"Employees": 12345678901234567890, "Name": "Big"}',
].join("\n");

const SAMPLE_ROWS = [
  { line: 1, values: ["Acme", "A-1", 12, true] },
  { line: 3, values: ["Zürich 東京", undefined, undefined, false, 1.5, null] },
  { line: 4, values: ["Big", undefined, "12345678901234567890", undefined, undefined, undefined] },
];

describe("readJsonl", () => {
  it("flattens relationships, keeps value types and adds columns as new keys appear", async () => {
    // Act
    const result = await read(bytesOf(`${SAMPLE}\n`));

    // Assess
    expect(result.header).toEqual(["Name", "Account.ERP_Id__c", "Employees", "Active"]);
    expect(result.lastHeader).toEqual([
      "Name",
      "Account.ERP_Id__c",
      "Employees",
      "Active",
      "Revenue",
      "Note",
    ]);
    expect(result.rows).toEqual(SAMPLE_ROWS);
    expect(result.rejected).toEqual([]);
  });

  it("reads the same rows whatever the chunk boundaries, including inside UTF-8 sequences", async () => {
    const bytes = bytesOf(SAMPLE);

    for (let cut = 0; cut <= bytes.length; cut++) {
      const result = await read(bytes, [cut]);
      expect(result.rows, `cut at ${cut}`).toEqual(SAMPLE_ROWS);
    }
  });

  it("keeps numbers a double cannot hold as the digits written", async () => {
    const bytes = bytesOf(
      '{"a": 9007199254740993, "b": 12345678901234.5, "c": 1234567890.123456789, "d": 1e300}\n',
    );

    const result = await read(bytes);

    expect(result.rows[0]?.values).toEqual([
      "9007199254740993",
      12345678901234.5,
      "1234567890.123456789",
      1e300,
    ]);
  });

  it("skips a BOM, accepts CRLF and blank lines", async () => {
    const bytes = bytesOf([0xef, 0xbb, 0xbf], '{"A": 1}\r\n\r\n  \r\n{"A": 2}\r\n');

    const result = await read(bytes);

    expect(result.rows).toEqual([
      { line: 1, values: [1] },
      { line: 4, values: [2] },
    ]);
  });

  it("rejects lines that are not flat objects one by one, and goes on", async () => {
    // Prepare
    const lines = [
      '{"Name": "ok"}',
      "{not json}",
      '["Name", "Acme"]',
      '"Acme"',
      "null",
      '{"Name": "x", "Tags__c": ["a", "b"]}',
      '{"Account": {"Parent": {"ERP_Id__c": "x"}}}',
      '{"Account.ERP_Id__c": "x", "Account": {"ERP_Id__c": "y"}}',
      '{"": 1}',
      '{"Name": "last"}',
    ];

    // Act
    const result = await read(bytesOf(lines.join("\n")));

    // Assess
    expect(result.rows.map((r) => [r.line, r.values])).toEqual([
      [1, ["ok"]],
      [10, ["last"]],
    ]);
    const rejected = result.rejected.map((r) => [r.line, r.column, r.text]);
    expect(rejected).toEqual([
      [2, undefined, "{not json}"],
      [3, undefined, '["Name", "Acme"]'],
      [4, undefined, '"Acme"'],
      [5, undefined, "null"],
      [6, "Tags__c", lines[5]],
      [7, "Account.Parent", lines[6]],
      [8, "Account.ERP_Id__c", lines[7]],
      [9, "", lines[8]],
    ]);
    expect(result.rejected[0]?.message).toContain("The line is not valid JSON");
    expect(result.rejected[1]?.message).toContain("The line is an array, not an object");
    expect(result.rejected[4]?.message).toContain('"Tags__c" is an array');
    expect(result.rejected[5]?.message).toContain("deeper than 1 level");
    expect(result.rejected[6]?.message).toContain("given twice");
  });

  it("allows deeper nesting when asked", async () => {
    const result = await read(bytesOf('{"Account": {"Parent": {"ERP_Id__c": "x"}}}\n'), [], { maxDepth: 2 });

    expect(result.header).toEqual(["Account.Parent.ERP_Id__c"]);
    expect(result.rows[0]?.values).toEqual(["x"]);
  });

  it("takes the header from the first object line, and gives an empty header when no line is an object", async () => {
    const late = await read(bytesOf('[1]\n{"B": 2}\n'));
    const none = await read(bytesOf("[1]\n2\n"));

    expect(late.header).toEqual(["B"]);
    expect(late.rejected.map((r) => r.line)).toEqual([1]);
    expect(none.header).toEqual([]);
    expect(none.rejected.map((r) => r.line)).toEqual([1, 2]);
  });

  it.each([
    ["an empty file", bytesOf(""), 1, "The file is empty"],
    ["only blank lines", bytesOf("\n \n"), 1, "The file is empty"],
    ["a NUL byte", bytesOf('{"A": 1}\n{"A": "', [0], '"}\n'), 2, "NUL bytes"],
    ["invalid UTF-8", bytesOf('{"A": 1}\n{"A": 2}\n{"A": "', [0xc3, 0x28], '"}\n'), 3, "not valid UTF-8"],
  ])("rejects %s with its line", async (_label, bytes, line, message) => {
    const error = await dataError(() => read(bytes));

    expect(error.message).toContain(message);
    expect(error.line).toBe(line);
  });

  it("rejects a line over maxLineBytes before reading the whole of it", async () => {
    async function* endless(): AsyncGenerator<Uint8Array> {
      yield bytesOf('{"A": 1}\n[');
      for (;;) yield bytesOf("1,".repeat(512));
    }

    const error = await dataError(() => readAll(readJsonl(endless(), { maxLineBytes: 10_000 })));

    expect(error.message).toContain("Line 2 is longer than 10000 bytes");
    expect(error.line).toBe(2);
  });

  it("never throws anything but DataError on arbitrary bytes, and every error has a line", async () => {
    const alphabet = fc.constantFrom(...'{}[]":,1e.\n\r \u00e9ab'.split(""), "\u0000", "null", '{"a":');
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 60 }),
      fc.array(alphabet, { maxLength: 40 }).map((parts) => bytesOf(parts.join(""))),
    );

    await fc.assert(
      fc.asyncProperty(bytes, fc.array(fc.nat({ max: 70 }), { maxLength: 4 }), async (input, cuts) => {
        try {
          const result = await read(input, cuts, { maxLineBytes: 30 });
          for (const row of result.rows)
            expect(row.values.length).toBeLessThanOrEqual(result.lastHeader.length);
          for (const rejected of result.rejected) expect(rejected.line).toBeGreaterThanOrEqual(1);
        } catch (error) {
          expect(error).toBeInstanceOf(DataError);
          expect((error as DataError).line).toBeGreaterThanOrEqual(1);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
