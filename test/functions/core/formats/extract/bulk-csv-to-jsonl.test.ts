import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BulkCsvToJsonl,
  type JsonlColumn,
} from "../../../../../functions/core/formats/extract/bulk-csv-to-jsonl";
import { BadValueError, ConfigurationError, DataError } from "../../../../../functions/errors";

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

const COLUMNS: JsonlColumn[] = [
  { name: "Id", sfType: "id" },
  { name: "Name", sfType: "string" },
  { name: "IsActive__c", sfType: "boolean" },
  { name: "NumberOfEmployees", sfType: "int" },
  { name: "Big__c", sfType: "long" },
  { name: "AnnualRevenue", sfType: "currency" },
  { name: "Ratio__c", sfType: "double" },
  { name: "CreatedDate", sfType: "datetime" },
  { name: "Birthdate__c", sfType: "date" },
  { name: "Description", sfType: "textarea" },
];

const HEADER = COLUMNS.map((c) => `"${c.name}"`).join(",");

/** A page in Bulk's own form: every field quoted, null as "", quotes doubled, newlines inside fields. */
const SAMPLE = [
  HEADER,
  `"001000000000001AAA","Acme, ""Global""","true","23.0","9223372036854775807.0","1500.50","0.25","2024-04-16T19:00:00.000Z","1990-02-28","Line 1\nLine 2"`,
  `"001000000000002AAA","Zürich 東京 🚀","false","-5.0","","","","","","tab\there \\ back"`,
  `"001000000000003AAA","","","","","1.6147805824397E13","1e-7","2024-01-01T00:00:00.000Z","2024-02-29","ctl\u0001\u001f\u007f"`,
].join("\n");

const EXPECTED = [
  `{"Id":"001000000000001AAA","Name":"Acme, \\"Global\\"","IsActive__c":true,"NumberOfEmployees":23,"Big__c":9223372036854775807,"AnnualRevenue":1500.50,"Ratio__c":0.25,"CreatedDate":"2024-04-16T19:00:00.000Z","Birthdate__c":"1990-02-28","Description":"Line 1\\nLine 2"}`,
  `{"Id":"001000000000002AAA","Name":"Zürich 東京 🚀","IsActive__c":false,"NumberOfEmployees":-5,"Big__c":null,"AnnualRevenue":null,"Ratio__c":null,"CreatedDate":null,"Birthdate__c":null,"Description":"tab\\there \\\\ back"}`,
  `{"Id":"001000000000003AAA","Name":null,"IsActive__c":null,"NumberOfEmployees":null,"Big__c":null,"AnnualRevenue":1.6147805824397E13,"Ratio__c":1e-7,"CreatedDate":"2024-01-01T00:00:00.000Z","Birthdate__c":"2024-02-29","Description":"ctl\\u0001\\u001f\u007f"}`,
].join("\n");

function concat(parts: Uint8Array[]): Uint8Array {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Feeds one page split at `cuts` (sorted byte offsets) and returns all output as text. */
function convertPage(converter: BulkCsvToJsonl, page: Uint8Array, cuts: number[] = []): string {
  const outputs: Uint8Array[] = [];
  let from = 0;
  for (const cut of [...cuts, page.length]) {
    // A copy per chunk, so the converter cannot lean on bytes it was given earlier; the output is
    // copied too (not Buffer#slice, a view), since it is only valid until the next push.
    outputs.push(new Uint8Array(converter.push(page.slice(from, cut))));
    from = cut;
  }
  outputs.push(new Uint8Array(converter.endPage()));
  return decoder.decode(concat(outputs));
}

function convert(csv: string, columns: JsonlColumn[] = COLUMNS, cuts: number[] = []): string {
  return convertPage(new BulkCsvToJsonl(columns), encoder.encode(csv), cuts);
}

function dataError(run: () => unknown): DataError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(DataError);
    return error as DataError;
  }
  throw new Error("expected a DataError");
}

describe("BulkCsvToJsonl", () => {
  it("converts a Bulk page to typed JSON lines, exactly", () => {
    // Prepare
    const converter = new BulkCsvToJsonl(COLUMNS);

    // Act
    const text = convertPage(converter, encoder.encode(`${SAMPLE}\n`));

    // Assess
    expect(text).toBe(`${EXPECTED}\n`);
    expect(converter.records).toBe(3);
    for (const line of text.trimEnd().split("\n")) expect(() => JSON.parse(line)).not.toThrow();
  });

  it("gives the same output for a chunk boundary at every byte, including inside UTF-8 sequences", () => {
    // Prepare
    const page = encoder.encode(`${SAMPLE}\n`);

    for (let cut = 0; cut <= page.length; cut++) {
      // Act
      const text = convertPage(new BulkCsvToJsonl(COLUMNS), page, [cut]);

      // Assess
      expect(text, `cut at byte ${cut}`).toBe(`${EXPECTED}\n`);
    }
  });

  it("gives the same output when fed one byte at a time", () => {
    const page = encoder.encode(SAMPLE);
    const cuts = Array.from({ length: page.length - 1 }, (_, k) => k + 1);

    expect(convert(SAMPLE, COLUMNS, cuts)).toBe(`${EXPECTED}\n`);
  });

  it("hands out lines in one reused buffer, each batch whole until the next push", () => {
    // Prepare: every row split from the next, so each push completes one row.
    const page = encoder.encode(`${SAMPLE}\n`);
    const rowStarts: number[] = [];
    for (let at = page.indexOf(0x0a); at !== -1; at = page.indexOf(0x0a, at + 1)) {
      if (page[at + 1] === 0x22 && page[at + 2] === 0x30) rowStarts.push(at + 1);
    }
    const converter = new BulkCsvToJsonl(COLUMNS);

    // Act: read each batch as it comes, before the next push.
    const texts: string[] = [];
    const buffers = new Set<ArrayBufferLike>();
    let from = 0;
    for (const cut of [...rowStarts.slice(1), page.length]) {
      const lines = converter.push(page.slice(from, cut));
      texts.push(decoder.decode(lines));
      buffers.add(lines.buffer);
      from = cut;
    }
    texts.push(decoder.decode(converter.endPage()));

    // Assess
    expect(texts.join("")).toBe(`${EXPECTED}\n`);
    expect(texts.filter((text) => text !== "")).toHaveLength(3);
    expect(buffers.size).toBe(1);
  });

  it("reads CRLF line endings and a last row without a line ending", () => {
    const crlf = `${SAMPLE.replaceAll(/\n(?="0)/g, "\r\n").replace(`${HEADER}\n`, `${HEADER}\r\n`)}`;
    expect(crlf).toContain('"\r\n"001');

    expect(convert(crlf)).toBe(`${EXPECTED}\n`);
    expect(convert(`${crlf}\r\n`)).toBe(`${EXPECTED}\n`);
  });

  it("skips the header of every page and counts records over pages", () => {
    // Prepare
    const converter = new BulkCsvToJsonl(COLUMNS);
    const page = encoder.encode(`${SAMPLE}\n`);

    // Act
    const first = convertPage(converter, page);
    const afterFirst = converter.pageRecords;
    const second = convertPage(converter, page, [17]);

    // Assess
    expect(first + second).toBe(`${EXPECTED}\n${EXPECTED}\n`);
    expect(afterFirst).toBe(3);
    expect(converter.records).toBe(6);
  });

  it("accepts a header-only page and an empty page as zero rows", () => {
    const converter = new BulkCsvToJsonl(COLUMNS);

    expect(convertPage(converter, encoder.encode(`${HEADER}\n`))).toBe("");
    expect(convertPage(converter, new Uint8Array(0))).toBe("");
    expect(converter.records).toBe(0);
  });

  it("skips a UTF-8 BOM before the header", () => {
    const page = concat([Uint8Array.of(0xef, 0xbb, 0xbf), encoder.encode(`${SAMPLE}\n`)]);

    expect(convertPage(new BulkCsvToJsonl(COLUMNS), page, [1, 2, 3])).toBe(`${EXPECTED}\n`);
  });

  it("needs at least one column", () => {
    expect(() => new BulkCsvToJsonl([])).toThrow(ConfigurationError);
  });

  it("rejects a header that does not match the query columns, naming the difference", () => {
    const renamed = SAMPLE.replace('"Name"', '"Nom"');
    const missing = SAMPLE.replace(',"Description"', "");

    const error = dataError(() => convert(renamed));
    expect(error.message).toContain('column 2 is "Nom", expected "Name"');
    expect(error.line).toBe(1);
    expect(error.column).toBe(2);
    expect(dataError(() => convert(missing)).message).toContain('column 10 "Description" is missing');
  });

  it("rejects a truncated page: an open quote, a partial row, a missing header", () => {
    const openQuote = `${HEADER}\n"001000000000001AAA","Acme`;
    const partialRow = `${HEADER}\n"001000000000001AAA","Acme","true"`;
    const cutHeader = `"Id","Na`;

    expect(dataError(() => convert(openQuote)).message).toContain("ends inside");
    expect(dataError(() => convert(partialRow)).message).toMatch(/ends inside a row.*3 of 10 fields/);
    expect(dataError(() => convert(cutHeader)).message).toContain("header");
  });

  it("rejects rows with too few or too many fields, naming line and column", () => {
    const short = `${HEADER}\n"a","b"\n`;
    const long = `${HEADER}\n"1","2","true","1.0","2.0","3.0","4.0","","","d","extra"\n`;

    const shortError = dataError(() => convert(short));
    expect(shortError.message).toContain("the row has 2 fields, expected 10");
    expect(shortError.line).toBe(2);
    expect(dataError(() => convert(long)).message).toContain("more than 10 fields");
  });

  it("keeps every digit of integers beyond 2^53 and drops a zero fraction", () => {
    // Prepare
    const columns: JsonlColumn[] = [{ name: "N", sfType: "long" }];
    const csv = `"N"\n"9007199254740993.0"\n"-12345678901234567890123.000"\n"0.0"\n"-0.0"\n"007.0"\n"1.6147805824397E13"\n"2E3"\n`;

    // Act
    const text = convert(csv, columns);

    // Assess
    expect(text).toBe(
      [
        '{"N":9007199254740993}',
        '{"N":-12345678901234567890123}',
        '{"N":0}',
        '{"N":0}',
        '{"N":7}',
        '{"N":16147805824397}',
        '{"N":2000}',
        "",
      ].join("\n"),
    );
  });

  it("rejects integers with a fraction and non-numbers, naming record, column and value", () => {
    const columns: JsonlColumn[] = [
      { name: "Id", sfType: "id" },
      { name: "NumberOfEmployees", sfType: "int" },
    ];

    const error = dataError(() => convert(`"Id","NumberOfEmployees"\n"x","1.0"\n"y","2.5"\n`, columns));
    expect(error.message).toContain(
      "record 2 (line 3), Id y, field NumberOfEmployees (int): '2.5' is not an integer",
    );
    expect(error.line).toBe(3);
    expect(error.column).toBe("NumberOfEmployees");
    expect(dataError(() => convert(`"Id","NumberOfEmployees"\n"x","twelve"\n`, columns)).message).toContain(
      "'twelve' is not an integer",
    );
  });

  it("fails a value its type cannot hold with a DataError naming object, field, record Id and value", () => {
    // Prepare
    const columns: JsonlColumn[] = [
      { name: "Amount__c", sfType: "currency" },
      { name: "Id", sfType: "id" },
    ];
    const converter = new BulkCsvToJsonl(columns, "Invoice__c");

    // Act
    const error = dataError(() =>
      convertPage(converter, encoder.encode(`"Amount__c","Id"\n"1.5","a01A"\n"n/a","a01B"\n`)),
    );

    // Assess
    expect(error).toBeInstanceOf(BadValueError);
    expect(error.message).toContain(
      "Invoice__c: Bulk result page 1, record 2 (line 3), Id a01B, field Amount__c (currency): 'n/a' is not a number",
    );
    expect(error.message).toMatch(/correct the record in Salesforce .* then run the sync again/);
    expect(error.toJSON()).toMatchObject({ object: "Invoice__c", field: "Amount__c", record: "a01B" });
  });

  it("copies decimals as written and rewrites forms JSON does not allow", () => {
    const columns: JsonlColumn[] = [{ name: "D", sfType: "double" }];
    const values = [
      ".5",
      "5.",
      "+5",
      "-.25",
      "1.E5",
      "007.10",
      "1.5E-7",
      "12345678901234567890.123456789",
      "-0.0",
    ];
    const csv = `"D"\n${values.map((v) => `"${v}"`).join("\n")}\n`;

    const text = convert(csv, columns);

    expect(text.trimEnd().split("\n")).toEqual([
      '{"D":0.5}',
      '{"D":5}',
      '{"D":5}',
      '{"D":-0.25}',
      '{"D":100000}',
      '{"D":7.1}',
      '{"D":1.5E-7}',
      '{"D":12345678901234567890.123456789}',
      '{"D":-0.0}',
    ]);
  });

  it.each(["NaN", "Infinity", "-Infinity", "1,5", "1e", "--1", " 1"])("rejects the number %j", (value) => {
    const columns: JsonlColumn[] = [{ name: "Amount", sfType: "currency" }];
    const error = dataError(() => convert(`"Amount"\n"${value}"\n`, columns));
    expect(error.message).toContain(`'${value}' is not a number`);
  });

  it("rejects booleans other than true and false, naming the value", () => {
    const columns: JsonlColumn[] = [{ name: "IsDeleted", sfType: "boolean" }];

    const error = dataError(() => convert(`"IsDeleted"\n"true"\n"TRUE"\n`, columns));

    expect(error.message).toContain(
      "record 2 (line 3), field IsDeleted (boolean): 'TRUE' is not true or false",
    );
  });

  it("normalizes datetime offsets to UTC with milliseconds and Z", () => {
    const columns: JsonlColumn[] = [{ name: "T", sfType: "datetime" }];
    const values = [
      "2011-07-07T00:37:00.000+0000",
      "2011-07-07T00:37:00.000+00:00",
      "2011-07-07T00:37:00-07:00",
      "2011-07-07T23:30:00.5+0530",
      "2024-02-29T23:59:59.999-01:00",
      "2011-07-07T00:37:00Z",
    ];
    const text = convert(`"T"\n${values.map((v) => `"${v}"`).join("\n")}\n`, columns);

    expect(text.trimEnd().split("\n")).toEqual([
      '{"T":"2011-07-07T00:37:00.000Z"}',
      '{"T":"2011-07-07T00:37:00.000Z"}',
      '{"T":"2011-07-07T07:37:00.000Z"}',
      '{"T":"2011-07-07T18:00:00.500Z"}',
      '{"T":"2024-03-01T00:59:59.999Z"}',
      '{"T":"2011-07-07T00:37:00.000Z"}',
    ]);
  });

  it.each([
    ["datetime", "2024-13-01T00:00:00.000Z", "is not a datetime"],
    ["datetime", "2024-04-16T24:00:00.000Z", "is not a datetime"],
    ["datetime", "2024-04-16T19:00:00.000", "is not a datetime"],
    ["date", "2023-02-29", "is not a date"],
    ["date", "2024-4-1", "is not a date"],
  ])("rejects the %s %j", (sfType, value, message) => {
    const error = dataError(() => convert(`"V"\n"${value}"\n`, [{ name: "V", sfType }]));
    expect(error.message).toContain(message);
  });

  it("escapes exactly what JSON requires and passes other bytes through", () => {
    // Prepare: every control character, quote, backslash, DEL and multi-byte characters.
    const controls = Array.from({ length: 32 }, (_, k) => String.fromCharCode(k)).join("");
    const raw = `${controls}"\\/\u007f é 東 😀 \u2028`;
    const csv = `"S"\n"${raw.replaceAll('"', '""')}"\n`;

    // Act
    const text = convert(csv, [{ name: "S", sfType: "string" }]);

    // Assess
    expect(text).toBe(
      `{"S":"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000b\\f\\r\\u000e\\u000f` +
        `\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f` +
        `\\"\\\\/\u007f é 東 😀 \u2028"}\n`,
    );
    expect(JSON.parse(text).S).toBe(raw);
  });

  it("reads unquoted fields and an empty unquoted field as null", () => {
    const columns: JsonlColumn[] = [
      { name: "A", sfType: "string" },
      { name: "B", sfType: "int" },
      { name: "C", sfType: "string" },
    ];

    const text = convert('A,B,C\nplain \\ text,42.0,\n,"7.0","x"\n,,', columns);

    expect(text).toBe(
      '{"A":"plain \\\\ text","B":42,"C":null}\n{"A":null,"B":7,"C":"x"}\n{"A":null,"B":null,"C":null}\n',
    );
  });

  it("rejects invalid UTF-8 with the line it is on", () => {
    const page = concat([
      encoder.encode(`"S"\n"ok"\n"bad `),
      Uint8Array.of(0xc3, 0x28),
      encoder.encode(`"\n`),
    ]);
    const converter = new BulkCsvToJsonl([{ name: "S", sfType: "string" }]);

    const error = dataError(() => {
      converter.push(page);
      converter.endPage();
    });

    expect(error.message).toContain("not valid UTF-8");
    expect(error.line).toBe(3);
  });

  it("handles one huge field fed in small chunks", () => {
    const big = "x".repeat(300_000);
    const csv = `"S","N"\n"${big}","1.0"\n`;
    const cuts = Array.from({ length: Math.floor(csv.length / 1000) }, (_, k) => (k + 1) * 1000);

    const text = convert(csv, [
      { name: "S", sfType: "string" },
      { name: "N", sfType: "int" },
    ]);
    const chunked = convert(
      csv,
      [
        { name: "S", sfType: "string" },
        { name: "N", sfType: "int" },
      ],
      cuts,
    );

    expect(text).toBe(`{"S":"${big}","N":1}\n`);
    expect(chunked).toBe(text);
  });
});

// ---------------------------------------------------------------------------------------------------
// Property: output equals a slow reference, for arbitrary field content and arbitrary chunking.

type Cell = { text: string | null; expected: unknown };

/** The slow reference: what a value written in the CSV must read back as after JSON.parse. */
const cellFor: Record<string, fc.Arbitrary<Cell>> = {
  string: fc
    .oneof(
      fc.string({ unit: "grapheme", maxLength: 30 }),
      fc.string({
        unit: fc.constantFrom('"', ",", "\n", "\r", "\\", "\t", "\u0000", "a", "é", "😀"),
        maxLength: 12,
      }),
    )
    .map((s) => ({ text: s, expected: s === "" ? null : s })),
  boolean: fc.boolean().map((b) => ({ text: String(b), expected: b })),
  long: fc
    .tuple(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.constantFrom(".0", "", ".000"))
    .map(([n, fraction]) => ({ text: `${n}${fraction}`, expected: `${n}` })),
  double: fc
    .double({ noNaN: true, noDefaultInfinity: true })
    .map((d) => ({ text: String(d), expected: Number(String(d)) })),
  datetime: fc
    .tuple(
      fc.date({
        min: new Date("1700-01-01T00:00:00Z"),
        max: new Date("4000-12-31T23:59:59Z"),
        noInvalidDate: true,
      }),
      fc.constantFrom("Z", "+00:00", "+05:30", "-08:00", "+14:00"),
    )
    .map(([date, zone]) => {
      const expected = date.toISOString();
      if (zone === "Z") return { text: expected, expected };
      const sign = zone.startsWith("-") ? -1 : 1;
      const minutes = sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
      const local = new Date(date.getTime() + minutes * 60_000).toISOString().slice(0, 23);
      return { text: `${local}${zone}`, expected };
    }),
};

function withNulls(arbitrary: fc.Arbitrary<Cell>): fc.Arbitrary<Cell> {
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant({ text: null, expected: null }) },
    { weight: 4, arbitrary },
  );
}

/** JSON.parse that keeps integers as digit strings (longs), other numbers as numbers. */
function parseLine(line: string, columns: JsonlColumn[]): Record<string, unknown> {
  return JSON.parse(
    line,
    function (this: unknown, key: string, value: unknown, context?: { source?: string }) {
      const column = columns.find((c) => c.name === key);
      if (column?.sfType === "long" && typeof value === "number") return context?.source;
      return value;
    },
  );
}

describe("BulkCsvToJsonl (property)", () => {
  it("matches the reference for arbitrary values and arbitrary chunk boundaries", () => {
    const types = Object.keys(cellFor);
    const columns: JsonlColumn[] = types.map((sfType, i) => ({ name: `${sfType}_${i}`, sfType }));
    const rowArb = fc.tuple(...types.map((t) => withNulls(cellFor[t] as fc.Arbitrary<Cell>)));

    fc.assert(
      fc.property(
        fc.array(rowArb, { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.boolean(),
        (rows, rawCuts, crlf) => {
          // Prepare
          const eol = crlf ? "\r\n" : "\n";
          const csv =
            [
              columns.map((c) => `"${c.name}"`).join(","),
              ...rows.map((cells) =>
                cells.map((cell) => `"${(cell.text ?? "").replaceAll('"', '""')}"`).join(","),
              ),
            ].join(eol) + eol;
          const page = encoder.encode(csv);
          const cuts = [...new Set(rawCuts.map((c) => c % (page.length + 1)))].sort((a, b) => a - b);

          // Act
          const text = convertPage(new BulkCsvToJsonl(columns), page, cuts);

          // Assess
          const lines = text === "" ? [] : text.slice(0, -1).split("\n");
          expect(lines).toHaveLength(rows.length);
          lines.forEach((line, r) => {
            const expected = Object.fromEntries(columns.map((c, k) => [c.name, rows[r]?.[k]?.expected]));
            expect(parseLine(line, columns)).toEqual(expected);
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it("never throws anything but DataError on arbitrary bytes, and every error has a line", () => {
    const columns: JsonlColumn[] = [
      { name: "A", sfType: "string" },
      { name: "B", sfType: "int" },
      { name: "C", sfType: "datetime" },
    ];
    const alphabet = fc.constantFrom(...'"ABC,\n\r1.0Z\u00e9-'.split(""), "A,B,C\n", '"A","B","C"\n');
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 80 }),
      fc.array(alphabet, { maxLength: 30 }).map((parts) => encoder.encode(parts.join(""))),
    );

    fc.assert(
      fc.property(bytes, fc.array(fc.nat(), { maxLength: 4 }), (page, rawCuts) => {
        const cuts = [...new Set(rawCuts.map((c) => c % (page.length + 1)))].sort((a, b) => a - b);
        try {
          const text = convertPage(new BulkCsvToJsonl(columns), page, cuts);
          for (const line of text.split("\n").filter((l) => l !== "")) JSON.parse(line);
        } catch (error) {
          expect(error).toBeInstanceOf(DataError);
          expect((error as DataError).line).toBeGreaterThanOrEqual(1);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
