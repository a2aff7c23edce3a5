import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CatalogField } from "../../../functions/core/catalog";
import { readCsv } from "../../../functions/core/formats/load/csv-reader";
import type { InboundReader, RejectedRow } from "../../../functions/core/formats/load/inbound";
import { readJsonl } from "../../../functions/core/formats/load/jsonl-reader";
import { type RawValue, toJsonValue, toSalesforceValue } from "../../../functions/core/formats/load/values";
import { DataError } from "../../../functions/errors";
import { catalogField } from "../../support/catalog-field";

/**
 * Bad input for the inbound readers and value conversion, beyond the properties in test/functions/core/formats:
 * other encodings (UTF-16 with a BOM, Latin-1), fields far over the limit at a known place, JSON nested
 * deep or holding half a character, and numbers at the edges (1e309, -0, 0x10, 1,000, long digit
 * strings). Nothing may throw but a DataError; every rejection says where (line, and column or key when
 * one field is at fault); what is accepted reaches Salesforce unchanged in meaning on both load paths.
 */

interface Outcome<V> {
  header: string[];
  rows: Array<{ line: number; values: V[] }>;
  rejected: RejectedRow[];
}

async function* chunks(bytes: Uint8Array, cuts: number[]): AsyncGenerator<Uint8Array> {
  let from = 0;
  for (const cut of [...cuts, bytes.length].sort((a, b) => a - b)) {
    if (cut < from || cut > bytes.length) continue;
    yield bytes.slice(from, cut);
    from = cut;
  }
}

async function readAll<V>(reader: InboundReader<V>): Promise<Outcome<V>> {
  const header = await reader.header();
  const out: Outcome<V> = { header, rows: [], rejected: [] };
  for await (const batch of reader.rows()) {
    out.rows.push(...batch.rows);
    out.rejected.push(...batch.rejected);
  }
  return out;
}

/** Reads, and returns the DataError instead of throwing it; anything else thrown fails the test. */
async function attempt<V>(reader: InboundReader<V>): Promise<Outcome<V> | DataError> {
  try {
    return await readAll(reader);
  } catch (error) {
    expect(error, String(error)).toBeInstanceOf(DataError);
    const { line } = error as DataError;
    expect(line, (error as Error).message).toBeGreaterThanOrEqual(1);
    return error as DataError;
  }
}

const textPiece = fc.constantFrom(
  "Name",
  "Acme",
  "José",
  "Müller",
  "漢字",
  "😀",
  "a b",
  "1",
  "",
  "naïve",
  "Ølse",
);
const csvText = fc
  .array(fc.array(textPiece, { minLength: 2, maxLength: 2 }), { minLength: 1, maxLength: 6 })
  .map((rows) => `${["Name", "City"].join(",")}\n${rows.map((row) => row.join(",")).join("\n")}\n`);

function utf16be(text: string): Uint8Array {
  const le = Buffer.from(text, "utf16le");
  const out = Buffer.alloc(le.length);
  for (let i = 0; i + 1 < le.length; i += 2) {
    out[i] = le[i + 1] as number;
    out[i + 1] = le[i] as number;
  }
  return out;
}

describe("CSV reader: other encodings", () => {
  it("refuses UTF-16 with a BOM (either byte order) as a whole-file DataError naming line and column", async () => {
    await fc.assert(
      fc.asyncProperty(
        csvText,
        fc.boolean(),
        fc.array(fc.nat({ max: 200 }), { maxLength: 4 }),
        async (text, bigEndian, cuts) => {
          // Prepare
          const bytes = bigEndian ? utf16be(`\ufeff${text}`) : Buffer.from(`\ufeff${text}`, "utf16le");

          // Act
          const result = await attempt(readCsv(chunks(bytes, cuts)));

          // Assess
          expect(result).toBeInstanceOf(DataError);
          expect((result as DataError).column).toBeGreaterThanOrEqual(1);
          expect((result as DataError).message).toMatch(/UTF-16|UTF-8/);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("reads Latin-1 only when its bytes happen to be UTF-8, else names the line and column of the first bad field", async () => {
    await fc.assert(
      fc.asyncProperty(csvText, fc.array(fc.nat({ max: 200 }), { maxLength: 4 }), async (text, cuts) => {
        // Prepare: characters Latin-1 cannot hold become '?', as an editor saving as Latin-1 would.
        const bytes = Buffer.from(text.replace(/[^\n\u0020-\u00ff]/gu, "?"), "latin1");
        const lines = text.split("\n");

        // Act
        const result = await attempt(readCsv(chunks(bytes, cuts)));

        // Assess
        if (Buffer.from(bytes).toString("utf8") === Buffer.from(bytes).toString("latin1") || isUtf8(bytes)) {
          expect(result).not.toBeInstanceOf(DataError);
          return;
        }
        expect(result).toBeInstanceOf(DataError);
        const { line, column } = result as DataError;
        const firstBad = lines.findIndex((candidate) => /[\u0080-\u00ff]/.test(candidate));
        expect(line).toBe(firstBad + 1);
        const fields = (lines[firstBad] ?? "").split(",");
        expect(column).toBe(fields.findIndex((field) => /[\u0080-\u00ff]/.test(field)) + 1);
      }),
      { numRuns: 200 },
    );
  });
});

function isUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

describe("CSV reader: huge fields", () => {
  it("rejects a field over the limit wherever it is, naming exactly its line and column, before reading it all", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 0, max: 2 }),
        fc.boolean(),
        fc.integer({ min: 65, max: 5000 }),
        fc.array(fc.nat({ max: 6000 }), { maxLength: 5 }),
        async (rowCount, hugeRow, hugeColumn, quoted, size, cuts) => {
          // Prepare: rows of three short fields; one field is `size` bytes (the limit is 64).
          const row = Math.min(hugeRow, rowCount - 1);
          const lines = ["A,B,C"];
          for (let r = 0; r < rowCount; r++) {
            const cells = ["x", "y", "z"].map((cell, c) => {
              if (r !== row || c !== hugeColumn) return cell;
              const value = "é".repeat(Math.ceil(size / 2));
              return quoted ? `"${value.slice(0, 10)}\n${value}"` : value;
            });
            lines.push(cells.join(","));
          }
          const bytes = new TextEncoder().encode(`${lines.join("\n")}\n`);

          // Act
          const result = await attempt(readCsv(chunks(bytes, cuts), { maxFieldBytes: 64 }));

          // Assess
          expect(result).toBeInstanceOf(DataError);
          expect(result).toMatchObject({ line: row + 2, column: hugeColumn + 1 });
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("JSON lines reader: nesting, half characters, numbers", () => {
  it("rejects objects or arrays nested arbitrarily deep as one row, naming the key, without exhausting the stack", async () => {
    // Depth 2 is a relationship and its field; deeper is refused.
    for (const depth of [3, 10, 1000, 100_000]) {
      // Prepare
      const nestedObject = `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
      const nestedArray = `{"b":${"[".repeat(depth)}${"]".repeat(depth)}}`;
      const text = `{"Name":"first"}\n${nestedObject}\n${nestedArray}\n{"Name":"last"}\n`;

      // Act
      const result = await attempt(readJsonl(chunks(new TextEncoder().encode(text), [])));

      // Assess
      expect(result, `depth ${depth}`).not.toBeInstanceOf(DataError);
      const read = result as Outcome<unknown>;
      expect(read.rows.map((row) => row.line)).toEqual([1, 4]);
      expect(read.rejected.map((rejected) => [rejected.line, rejected.column])).toEqual([
        [2, "a.a"],
        [3, "b"],
      ]);
    }
  });

  it("never throws but DataError on lines of arbitrary JSON, and says which line every rejection is", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(fc.jsonValue({ maxDepth: 4 }), fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 }))),
          {
            minLength: 1,
            maxLength: 8,
          },
        ),
        fc.array(fc.nat({ max: 400 }), { maxLength: 4 }),
        async (values, cuts) => {
          // Prepare
          const text = `${values.map((value) => JSON.stringify(value)).join("\n")}\n`;

          // Act
          const result = await attempt(readJsonl(chunks(new TextEncoder().encode(text), cuts)));

          // Assess
          if (result instanceof DataError) return;
          const lines = new Set([
            ...result.rows.map((row) => row.line),
            ...result.rejected.map((r) => r.line),
          ]);
          expect(lines.size).toBe(result.rows.length + result.rejected.length);
          for (const rejected of result.rejected) {
            expect(rejected.line).toBeGreaterThanOrEqual(1);
            expect(rejected.line).toBeLessThanOrEqual(values.length);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("rejects a string holding half of a surrogate pair, naming the key (it would reach Salesforce as U+FFFD)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 5 }),
        fc.constantFrom("\\ud83d", "\\ude00", "\\udbff\\u0041", "x\\udc00y"),
        fc.string({ maxLength: 5 }),
        async (before, half, after) => {
          // Prepare
          const value = `${JSON.stringify(before).slice(0, -1)}${half}${JSON.stringify(after).slice(1)}`;
          const text = `{"Name":"whole 😀"}\n{"Id":"1","Name":${value}}\n`;

          // Act
          const result = await attempt(readJsonl(chunks(new TextEncoder().encode(text), [])));

          // Assess
          expect(result).not.toBeInstanceOf(DataError);
          const read = result as Outcome<unknown>;
          expect(read.rows.map((row) => row.values)).toEqual([["whole 😀"]]);
          expect(read.rejected).toHaveLength(1);
          expect(read.rejected[0]).toMatchObject({ line: 2, column: "Name" });
          expect(read.rejected[0]?.message).toMatch(/half of a character/);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("keeps numbers a double cannot hold as written: never Infinity, never rounded", async () => {
    // Prepare
    const numbers = [
      "1e309",
      "-1e309",
      "1E400",
      "12345678901234567890",
      "0.1000000000000000055511151231257827",
    ];
    const text = `${numbers.map((n) => `{"Value":${n}}`).join("\n")}\n{"Value":1e308}\n{"Value":-0}\n`;

    // Act
    const result = (await attempt(readJsonl(chunks(new TextEncoder().encode(text), [])))) as Outcome<unknown>;

    // Assess
    expect(result.rows.map((row) => row.values[0])).toEqual([...numbers, 1e308, -0]);
  });
});

/** Numeric fields here: JSON numbers. */
function field(name: string, sfType: string, extra: Partial<CatalogField> = {}): CatalogField {
  return catalogField(name, sfType, { json: { type: "number" }, ...extra });
}

const NUMERIC_FIELDS = [
  field("Ratio__c", "double"),
  field("Score__c", "double", { precision: 18, scale: 4 }),
  field("Amount__c", "currency", { precision: 16, scale: 2 }),
  field("Share__c", "percent", { precision: 5, scale: 2 }),
  field("Count__c", "int"),
  field("Big__c", "long"),
];

/** Number-like text: signs, digit runs, separators, exponents, other numeral systems. */
const numberText = fc
  .tuple(
    fc.constantFrom("", "-", "+", "--", " ", "-0"),
    fc.oneof(
      fc.stringMatching(/^[0-9]{1,40}$/),
      fc.constantFrom("0x10", "1,000", "1_000", "１２", "٣", "Infinity", "NaN", "", ".", "0", "00012"),
    ),
    fc.constantFrom("", ".", ".5", ".000", ".123456789012345678"),
    fc.constantFrom("", "e5", "E-7", "e309", "e-400", "e+308", "e", "e1.5", "E0308"),
  )
  .map(([sign, digits, fraction, exponent]) => `${sign}${digits}${fraction}${exponent}`);

describe("value conversion: numbers at the edges", () => {
  it("accepts or rejects alike on both load paths; what is accepted is a finite number Salesforce can store", () => {
    fc.assert(
      fc.property(fc.constantFrom(...NUMERIC_FIELDS), fc.oneof(numberText, fc.double()), (target, raw) => {
        for (const source of ["csv", "json"] as const) {
          // Act
          const text = toSalesforceValue(target, raw as RawValue, source);
          const json = toJsonValue(target, raw as RawValue, source);

          // Assess
          expect(text.ok, `${String(raw)} via ${source}`).toBe(json.ok);
          if (!text.ok || !json.ok) {
            const reason = text.ok ? "" : text.reason;
            expect(reason).toContain(`field ${target.name}`);
            continue;
          }
          if (text.value === undefined || text.value === null) continue;
          expect(text.value).toMatch(/^-?\d+(\.\d+)?$/);
          expect(Number.isFinite(Number(text.value)), text.value).toBe(true);
          const value = json.value;
          if (typeof value === "number") {
            expect(Number.isFinite(value)).toBe(true);
            expect(value).toBe(Number(text.value));
          } else {
            expect(value).toBe(text.value);
          }
        }
      }),
      { numRuns: 3000 },
    );
  });

  it.each<[string, boolean]>([
    ["1e309", false],
    ["-1e309", false],
    ["1e-400", false],
    ["0x10", false],
    ["1,000", false],
    ["1_000", false],
    ["１２", false],
    ["NaN", false],
    ["Infinity", false],
    ["-0", true],
    ["12345678901234567890", true],
    ["1e308", true],
  ])("a double field without precision takes %s: %s", (raw, accepted) => {
    // Act
    const json = toJsonValue(NUMERIC_FIELDS[0] as CatalogField, raw, "csv");

    // Assess: before the fix 1e309 was accepted and sent through sObject Collections as JSON null.
    expect(json.ok).toBe(accepted);
    if (json.ok) expect(JSON.stringify(json.value)).not.toBe("null");
  });
});
