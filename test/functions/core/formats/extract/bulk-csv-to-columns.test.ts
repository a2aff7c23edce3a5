import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { describe, expect, it } from "vitest";
import type { CatalogStream } from "../../../../../functions/core/catalog";
import { BulkCsvToColumns } from "../../../../../functions/core/formats/extract/bulk-csv-to-columns";
import { LakeBatch } from "../../../../../functions/core/formats/extract/lake-batch";
import {
  encodeOffThreadByDefault,
  ParquetPartWriter,
} from "../../../../../functions/core/formats/extract/parquet-part";
import { restRecordToBatch } from "../../../../../functions/core/formats/extract/rest-record";
import { type LakeColumn, lakeColumns } from "../../../../../functions/core/lake/lake-names";
import { BadValueError, DataError, RETRYABLE_ERROR_NAMES } from "../../../../../functions/errors";
import { readParquet } from "../../../../../local/demo/landed";
import { catalogField } from "../../../../support/catalog-field";

const encoder = new TextEncoder();

const FIELDS = [
  catalogField("Id", "id"),
  catalogField("Name", "string"),
  catalogField("IsActive__c", "boolean"),
  catalogField("NumberOfEmployees", "int"),
  catalogField("Big__c", "long"),
  catalogField("AnnualRevenue", "currency", { precision: 18, scale: 2 }),
  catalogField("Wide__c", "double", { precision: 30, scale: 4 }),
  catalogField("Ratio__c", "double"),
  catalogField("CreatedDate", "datetime"),
  catalogField("Birthdate__c", "date"),
  catalogField("Description", "textarea"),
];

function columnsOf(fields = FIELDS): LakeColumn[] {
  return lakeColumns({ fields, selectFields: fields.map((field) => field.name) } as CatalogStream);
}

const HEADER = FIELDS.map((field) => `"${field.name}"`).join(",");

/** A page in Bulk's own form: every field quoted, null as "", quotes doubled, newlines inside fields. */
const SAMPLE = [
  HEADER,
  `"001000000000001AAA","Acme, ""Global""","true","23.0","9223372036854775807.0","1500.5","12345678901234567890.1234","0.25","2024-04-16T19:00:00.000Z","1890-02-28","Line 1\nLine 2"`,
  `"001000000000002AAA","Zürich 東京 🚀","false","-5","","","","","","",""`,
  `"001000000000003AAA","","","","-42","1.6147805824397E13","-0.5","1e-7","2024-01-01T00:00:00.000Z","2024-02-29","tab\there"`,
].join("\n");

/** The rows DuckDB reads back, as text (decimals and dates as DuckDB prints them). */
const EXPECTED = [
  {
    id: "001000000000001AAA",
    name: 'Acme, "Global"',
    isactive__c: true,
    numberofemployees: 23,
    big__c: "9223372036854775807",
    annualrevenue: "1500.50",
    wide__c: "12345678901234567890.1234",
    ratio__c: 0.25,
    createddate: "2024-04-16T19:00:00.000Z",
    birthdate__c: "1890-02-28",
    description: "Line 1\nLine 2",
    _run_id: "run-7",
  },
  {
    id: "001000000000002AAA",
    name: "Zürich 東京 🚀",
    isactive__c: false,
    numberofemployees: -5,
    big__c: null,
    annualrevenue: null,
    wide__c: null,
    ratio__c: null,
    createddate: null,
    birthdate__c: null,
    description: null,
    _run_id: "run-7",
  },
  {
    id: "001000000000003AAA",
    name: null,
    isactive__c: null,
    numberofemployees: null,
    big__c: "-42",
    annualrevenue: "16147805824397.00",
    wide__c: "-0.5000",
    ratio__c: 1e-7,
    createddate: "2024-01-01T00:00:00.000Z",
    birthdate__c: "2024-02-29",
    description: "tab\there",
    _run_id: "run-7",
  },
];

/** Converts `pages` (each given in chunks) into one Parquet part; returns its bytes and record count. */
async function convert(
  pages: Uint8Array[][],
  columns = columnsOf(),
  rowGroupEvery?: number,
  offThread?: boolean,
): Promise<{ bytes: Uint8Array; records: number; rowGroups: number }> {
  const batch = new LakeBatch(columns);
  const converter = new BulkCsvToColumns("Account", columns, batch);
  const out: Uint8Array[] = [];
  const part = new ParquetPartWriter(
    columns,
    "run-7",
    async (bytes) => {
      out.push(bytes);
    },
    undefined,
    offThread,
  );
  let rowGroups = 0;
  for (const chunks of pages) {
    for (const chunk of chunks) {
      converter.push(chunk);
      if (rowGroupEvery !== undefined && batch.rows >= rowGroupEvery) {
        await part.writeRowGroup(batch);
        batch.reset();
        rowGroups++;
      }
    }
    converter.endPage();
  }
  if (batch.rows > 0) rowGroups++;
  await part.writeRowGroup(batch);
  await part.finish();
  expect(part.rows).toBe(converter.records);
  return { bytes: Buffer.concat(out), records: converter.records, rowGroups };
}

function chunked(text: string, size: number): Uint8Array[] {
  const bytes = encoder.encode(text);
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.slice(at, at + size));
  return chunks;
}

describe("Bulk CSV to Parquet row groups", () => {
  it("types every value by the catalog, keeps every digit and reads back the same in DuckDB", async () => {
    // Act
    const { bytes, records } = await convert([[encoder.encode(SAMPLE)]]);
    const { columns, rows } = await readParquet(bytes, true);

    // Assess
    expect(records).toBe(3);
    expect(Object.fromEntries(columns.map((column) => [column.name, column.type]))).toEqual({
      id: "VARCHAR",
      name: "VARCHAR",
      isactive__c: "BOOLEAN",
      numberofemployees: "INTEGER",
      big__c: "BIGINT",
      annualrevenue: "DECIMAL(18,2)",
      wide__c: "DECIMAL(30,4)",
      ratio__c: "DOUBLE",
      createddate: "TIMESTAMP WITH TIME ZONE",
      birthdate__c: "DATE",
      description: "VARCHAR",
      _run_id: "VARCHAR",
    });
    expect(rows).toEqual(EXPECTED);
  });

  it("gives the same part whatever the chunks, across pages and row groups", async () => {
    // Prepare
    const whole = await convert([[encoder.encode(SAMPLE)]]);

    // Act
    const pieces = await Promise.all(
      [1, 2, 3, 7, 64].map((size) =>
        convert([chunked(SAMPLE, size), chunked(SAMPLE, size + 1)], columnsOf(), 2),
      ),
    );

    // Assess
    const expected = (await readParquet(whole.bytes)).rows;
    for (const piece of pieces) {
      expect(piece.records).toBe(6);
      expect(piece.rowGroups).toBeGreaterThan(1);
      expect((await readParquet(piece.bytes)).rows).toEqual([...expected, ...expected]);
    }
  });

  it("keeps every value and null of a row group past the columns' first growth (1,024 rows)", async () => {
    // Prepare: 3,000 rows, text and numbers with nulls here and there, in one row group.
    const fields = [
      catalogField("Id", "id"),
      catalogField("Name", "string"),
      catalogField("NumberOfEmployees", "int"),
      catalogField("AnnualRevenue", "currency", { precision: 18, scale: 2 }),
    ];
    const columns = columnsOf(fields);
    const expected: Array<Record<string, unknown>> = [];
    const lines = ['"Id","Name","NumberOfEmployees","AnnualRevenue"'];
    for (let row = 0; row < 3000; row++) {
      const name = row % 7 === 3 ? null : `name ${row}`;
      const employees = row % 5 === 4 ? null : row;
      const revenue = row % 3 === 0 ? null : `${row}.25`;
      lines.push(`"${row}","${name ?? ""}","${employees ?? ""}","${revenue ?? ""}"`);
      expected.push({
        id: `${row}`,
        name,
        numberofemployees: employees,
        annualrevenue: revenue === null ? null : Number(revenue),
      });
    }

    // Act
    const { bytes, records } = await convert([[encoder.encode(lines.join("\n"))]], columns);

    // Assess
    expect(records).toBe(3000);
    const { rows } = await readParquet(bytes);
    expect(rows.map(({ _run_id: _, ...row }) => row)).toEqual(expected);
  });

  it("keeps every repeated and distinct text value exact across row groups", async () => {
    // Prepare: a picklist-like column (a few values, one of them a prefix of another, one long, one
    // with quotes), an id-like column of distinct values (which stops looking for repeats), and a
    // column that turns from repeated to distinct mid-group; 6,000 rows in 1,000-row chunks.
    const fields = [
      catalogField("Id", "id"),
      catalogField("Stage", "picklist"),
      catalogField("Mixed__c", "string"),
    ];
    const columns = columnsOf(fields);
    const stages = ["Won", "Won ", "Closed Won", 'Say "hi"', "x".repeat(40), "Wo", null];
    const expected: Array<Record<string, unknown>> = [];
    const lines = ['"Id","Stage","Mixed__c"'];
    for (let row = 0; row < 6000; row++) {
      const stage = stages[(row * 7) % stages.length] as string | null;
      const mixed = row % 3000 < 2500 ? `v${row % 4}` : `distinct ${row}`;
      lines.push(`"id-${row}","${(stage ?? "").replaceAll('"', '""')}","${mixed}"`);
      expected.push({ id: `id-${row}`, stage, mixed__c: mixed });
    }
    const text = `${lines.join("\n")}\n`;

    // Act
    const { bytes, rowGroups } = await convert([chunked(text, 4096)], columns, 2500);

    // Assess: three row groups, every value as sent.
    expect(rowGroups).toBe(3);
    const { rows } = await readParquet(bytes);
    expect(rows.map(({ _run_id: _, ...row }) => row)).toEqual(expected);
  });

  it("writes the same bytes whether row groups are encoded in the main thread or on the encoder thread", async () => {
    // Prepare: many row groups of text (repeated and distinct), numbers, dates and nulls, in two pages.
    const records = SAMPLE.split(/\n(?="001)/).slice(1);
    const lines = [HEADER];
    for (let row = 0; row < 3000; row++) {
      lines.push((records[row % 3] as string).replace(/^"00100000000000\dAAA"/, `"id-${row}"`));
    }
    const pages = [chunked(lines.join("\n"), 5000), chunked(lines.join("\n"), 777)];

    // Act
    const inline = await convert(pages, columnsOf(), 700, false);
    const threaded = await convert(pages, columnsOf(), 700, true);

    // Assess: byte for byte the same part, every row as sent.
    expect(inline.rowGroups).toBeGreaterThan(4);
    expect(Buffer.from(threaded.bytes).equals(Buffer.from(inline.bytes))).toBe(true);
    const { rows } = await readParquet(threaded.bytes, true);
    expect(rows).toHaveLength(6000);
    expect(rows).toEqual(
      Array.from({ length: 6000 }, (_, row) => ({ ...EXPECTED[row % 3], id: `id-${row % 3000}` })),
    );
  });

  it("encodes on the encoder thread where a second CPU runs it: in Lambda from 3,538 MB", () => {
    expect(encodeOffThreadByDefault({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "1769" })).toBe(false);
    expect(encodeOffThreadByDefault({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "3538" })).toBe(true);
    expect(encodeOffThreadByDefault({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "10240" })).toBe(true);
    expect(encodeOffThreadByDefault({})).toBe(availableParallelism() > 1);
  });

  it("gives each row group the statistics of its own values", async () => {
    // Prepare: two row groups whose names do not overlap ("a…" then "m…"), the second written after the first's values are gone.
    const columns = columnsOf([catalogField("Id", "id"), catalogField("Name", "string")]);
    const lines = ['"Id","Name"'];
    for (let row = 0; row < 4; row++) lines.push(`"${row}","${row < 2 ? "a" : "m"}${"xyz".repeat(row + 1)}"`);

    // Act
    const chunks = [lines.slice(0, 3), lines.slice(3)].map((part) => encoder.encode(`${part.join("\n")}\n`));
    const { bytes, rowGroups } = await convert([chunks], columns, 2);

    // Assess: DuckDB reads each group's min and max from the footer.
    expect(rowGroups).toBe(2);
    const folder = await mkdtemp(join(tmpdir(), "saddledata-stats-"));
    try {
      const file = join(folder, "part.parquet");
      await writeFile(file, bytes);
      const connection = await (await DuckDBInstance.create(":memory:")).connect();
      const result = await connection.runAndReadAll(
        `SELECT row_group_id, stats_min_value, stats_max_value FROM parquet_metadata('${file}') WHERE path_in_schema = 'name' ORDER BY row_group_id`,
      );
      connection.closeSync();
      expect(result.getRowObjectsJS()).toEqual([
        { row_group_id: 0n, stats_min_value: "axyz", stats_max_value: "axyzxyz" },
        { row_group_id: 1n, stats_min_value: "mxyzxyzxyz", stats_max_value: "mxyzxyzxyzxyz" },
      ]);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it("writes a valid part with no rows when the page has none", async () => {
    // Act
    const { bytes, records } = await convert([[encoder.encode(`${HEADER}\n`)]]);

    // Assess
    expect(records).toBe(0);
    expect((await readParquet(bytes)).rows).toEqual([]);
  });

  it("refuses a decimal with more decimals than its scale, naming object, field and record", () => {
    // Prepare
    const columns = columnsOf([catalogField("Id", "id"), FIELDS[5] as (typeof FIELDS)[number]]);
    const converter = new BulkCsvToColumns("Account", columns, new LakeBatch(columns));
    const page = `"Id","AnnualRevenue"\n"001A","1.50"\n"001B","10.505"\n`;

    // Act
    let error: unknown;
    try {
      converter.push(encoder.encode(page));
      converter.endPage();
    } catch (thrown) {
      error = thrown;
    }

    // Assess
    expect(error).toBeInstanceOf(DataError);
    expect((error as Error).message).toMatch(
      /^Account: .*record 2 .*field AnnualRevenue \(currency → decimal\(18,2\)\): '10\.505' has more than 2 decimals/,
    );
  });

  it("refuses a decimal with more integer digits than its precision leaves", () => {
    // Prepare
    const columns = columnsOf([
      catalogField("Id", "id"),
      catalogField("Pct__c", "percent", { precision: 5, scale: 2 }),
    ]);
    const converter = new BulkCsvToColumns("Account", columns, new LakeBatch(columns));

    // Act
    const act = () => converter.push(encoder.encode(`"Id","Pct__c"\n"001A","1234.5"\n`));

    // Assess
    expect(act).toThrow(/field Pct__c .*'1234\.5' does not fit|has 4 digits before the decimal point/);
  });

  it("rounds a formula field's extra decimals half-even to its scale", async () => {
    // Prepare
    const columns = columnsOf([
      catalogField("Id", "id"),
      catalogField("Margin__c", "currency", { precision: 18, scale: 2, calculated: true }),
    ]);
    const page = [
      `"Id","Margin__c"`,
      `"1","2.345"`,
      `"2","2.355"`,
      `"3","2.3451"`,
      `"4","-0.005"`,
      `"5","9.999"`,
    ];

    // Act
    const { bytes } = await convert([[encoder.encode(page.join("\n"))]], columns);

    // Assess
    const { rows } = await readParquet(bytes);
    expect(rows.map((row) => row.margin__c)).toEqual([2.34, 2.36, 2.35, 0, 10]);
  });

  it("refuses a date or datetime that is not one, and a header that is not the query's", () => {
    // Prepare
    const columns = columnsOf();
    const badDate = SAMPLE.replace("1890-02-28", "1890-02-30");
    const badDateTime = SAMPLE.replace("2024-04-16T19:00:00.000Z", "yesterday");
    const badHeader = SAMPLE.replace('"Name"', '"Title"');

    // Act
    const run = (page: string) => () => {
      const converter = new BulkCsvToColumns("Account", columns, new LakeBatch(columns));
      converter.push(encoder.encode(page));
      converter.endPage();
    };

    // Assess
    expect(run(badDate)).toThrow(/field Birthdate__c .*'1890-02-30' is not a date/);
    expect(run(badDateTime)).toThrow(/field CreatedDate .*'yesterday' is not a datetime/);
    expect(run(badHeader)).toThrow(/header row does not match/);
  });

  it.each([
    [
      "text in an int column",
      catalogField("NumberOfEmployees", "int"),
      "twelve",
      "'twelve' is not an integer",
    ],
    [
      "a decimal wider than its precision (not a formula)",
      catalogField("Pct__c", "percent", { precision: 5, scale: 2 }),
      "1234.5",
      "'1234.5' has 4 digits before the decimal point: decimal(5,2) holds 3",
    ],
    [
      "a date that is not one",
      catalogField("Birthdate__c", "date"),
      "1890-02-30",
      "'1890-02-30' is not a date (expected YYYY-MM-DD)",
    ],
    [
      "a long value (shown cut at 64 characters)",
      catalogField("AnnualRevenue", "currency", { precision: 18, scale: 2 }),
      "9".repeat(100),
      `'${"9".repeat(64)}…' has 100 digits before the decimal point`,
    ],
  ])(
    "fails %s with a DataError naming object, field, record Id and value, and what to do",
    (_case, field, value, problem) => {
      // Prepare: the bad value is in the record's first column, before its Id.
      const columns = columnsOf([field, catalogField("Name", "string"), catalogField("Id", "id")]);
      const converter = new BulkCsvToColumns("Account", columns, new LakeBatch(columns));
      const page = `"${field.name}","Name","Id"\n"","ok","001A"\n"${value}","Acme","001B"\n`;

      // Act
      let error: unknown;
      try {
        converter.push(encoder.encode(page));
        converter.endPage();
      } catch (thrown) {
        error = thrown;
      }

      // Assess: a data error (never retried), not a page that was cut short.
      expect(error).toBeInstanceOf(BadValueError);
      expect(error).toBeInstanceOf(DataError);
      const bad = error as BadValueError;
      expect(bad.name).toBe("DataError");
      expect(RETRYABLE_ERROR_NAMES).not.toContain(bad.name);
      expect(bad.message).toContain(
        `Account: Bulk result page 1, record 2 (line 3), Id 001B, field ${field.name} (`,
      );
      expect(bad.message).toContain(problem);
      expect(bad.message).toMatch(/correct the record in Salesforce .* then run the sync again/);
      expect(bad.message.length).toBeLessThan(700);
      expect(bad.toJSON()).toMatchObject({
        name: "DataError",
        object: "Account",
        field: field.name,
        record: "001B",
        line: 3,
      });
    },
  );

  it("refuses a page cut inside a row", () => {
    // Prepare
    const columns = columnsOf();
    const converter = new BulkCsvToColumns("Account", columns, new LakeBatch(columns));

    // Act
    const act = () => {
      converter.push(encoder.encode(SAMPLE.slice(0, -20)));
      converter.endPage();
    };

    // Assess
    expect(act).toThrow(DataError);
  });
});

describe("REST records to Parquet row groups", () => {
  it("types JSON values like Bulk's text and reads back the same", async () => {
    // Prepare
    const columns = columnsOf();
    const batch = new LakeBatch(columns);
    const records = [
      {
        attributes: { type: "Account" },
        Id: "001000000000001AAA",
        Name: 'Acme, "Global"',
        IsActive__c: true,
        NumberOfEmployees: 23,
        Big__c: 42,
        AnnualRevenue: 1500.5,
        Wide__c: 0.25,
        Ratio__c: 0.25,
        CreatedDate: "2024-04-16T21:00:00.000+0200",
        Birthdate__c: "1890-02-28",
        Description: null,
      },
    ];
    const out: Uint8Array[] = [];
    const part = new ParquetPartWriter(columns, "run-7", async (bytes) => {
      out.push(bytes);
    });

    // Act
    for (const record of records) restRecordToBatch(record, batch, "Account");
    await part.writeRowGroup(batch);
    await part.finish();

    // Assess
    const { rows } = await readParquet(Buffer.concat(out));
    expect(rows).toEqual([
      {
        id: "001000000000001AAA",
        name: 'Acme, "Global"',
        isactive__c: true,
        numberofemployees: 23,
        big__c: 42,
        annualrevenue: 1500.5,
        wide__c: 0.25,
        ratio__c: 0.25,
        createddate: "2024-04-16T19:00:00.000Z",
        birthdate__c: "1890-02-28",
        description: null,
        _run_id: "run-7",
      },
    ]);
  });

  it("names object, field and record of a value its type cannot hold", () => {
    // Prepare
    const columns = columnsOf();
    const batch = new LakeBatch(columns);

    // Act
    const act = () => restRecordToBatch({ Id: "001X", NumberOfEmployees: 3_000_000_000 }, batch, "Account");

    // Assess
    expect(act).toThrow(
      /Account: REST query result, Id 001X, field NumberOfEmployees \(int → int\).*does not fit an int/,
    );
  });
});
