import { describe, expect, it } from "vitest";
import { bulkNumber, bulkRowWriter, quote } from "../../../emulator/http/bulk-csv";
import { MaterializedCsv } from "../../../emulator/http/materialized-csv";
import type { Column, FieldDef, FieldType, ResultRow } from "../../../emulator/org/types";

function field(name: string, type: FieldType): FieldDef {
  return { name, type } as FieldDef;
}

/** The CSV text the writer produces for these rows (header excluded). */
function written(format: ReturnType<typeof bulkRowWriter>, rows: ResultRow[]): string {
  const csv = new MaterializedCsv(Buffer.from(format.header));
  for (const row of rows) format.write(row, csv);
  csv.finish();
  return Buffer.concat(csv.slice(0, rows.length).buffers).toString("utf8");
}

function column(name: string, type: FieldType): Column {
  return { name, path: name.split("."), field: field(name.split(".").at(-1) as string, type) };
}

describe("Bulk CSV formatting", () => {
  it("quotes every field and doubles embedded quotes", () => {
    // Prepare
    const text = 'He said "hi", then left';
    // Act
    const quoted = quote(text);
    // Assess
    expect(quoted).toBe('"He said ""hi"", then left"');
  });

  it("writes numbers with a decimal part, integers included", () => {
    expect([bulkNumber(23), bulkNumber(0), bulkNumber(-4), bulkNumber(1.5), bulkNumber(1234567.25)]).toEqual([
      "23.0",
      "0.0",
      "-4.0",
      "1.5",
      "1234567.25",
    ]);
  });

  it("formats a row by column type: datetime in Z form, booleans, nulls as empty quotes, newlines kept", () => {
    // Prepare
    const columns = [
      column("Id", "id"),
      column("NumberOfEmployees", "int"),
      column("AnnualRevenue", "currency"),
      column("IsActive", "boolean"),
      column("CreatedDate", "datetime"),
      column("Description", "textarea"),
      column("Owner.Name", "string"),
    ];
    const format = bulkRowWriter(columns, "COMMA", "LF");
    const at = Date.UTC(2024, 3, 16, 19, 0, 0);
    // Act
    const line = written(format, [
      { id: "001", values: ["001000000000001AAA", 23, 1500.5, true, at, 'line one\nsaid "x"', null] },
    ]);
    // Assess
    expect(format.header).toBe(
      '"Id","NumberOfEmployees","AnnualRevenue","IsActive","CreatedDate","Description","Owner.Name"\n',
    );
    expect(line).toBe(
      '"001000000000001AAA","23.0","1500.5","true","2024-04-16T19:00:00.000Z","line one\nsaid ""x""",""\n',
    );
  });

  it("writes datetimes, negative and large numbers, and non-ASCII text with quotes exactly", () => {
    // Prepare
    const format = bulkRowWriter(
      [column("CreatedDate", "datetime"), column("Amount", "currency"), column("Name", "string")],
      "COMMA",
      "LF",
    );
    const instants = [
      Date.UTC(1969, 11, 31, 23, 59, 59, 7),
      Date.UTC(2024, 1, 29, 0, 0, 0, 0),
      1736942400169,
    ];
    const rows: ResultRow[] = instants.map((at, i) => ({
      id: String(i),
      values: [at, [-42, 1e15 + 2, 0.25][i] as number, ['Zoë "Z" 東京', "plain", "é"][i] as string],
    }));
    // Act
    const text = written(format, rows);
    // Assess
    expect(text).toBe(
      [
        '"1969-12-31T23:59:59.007Z","-42.0","Zoë ""Z"" 東京"',
        '"2024-02-29T00:00:00.000Z","1000000000000002.0","plain"',
        `"${new Date(1736942400169).toISOString()}","0.25","é"`,
        "",
      ].join("\n"),
    );
  });

  it("uses the job's delimiter and line ending", () => {
    // Prepare
    const format = bulkRowWriter([column("Name", "string"), column("Paid__c", "boolean")], "PIPE", "CRLF");
    // Act
    const line = written(format, [{ id: "x", values: ["a|b", false] }]);
    // Assess
    expect(format.header).toBe('"Name"|"Paid__c"\r\n');
    expect(line).toBe('"a|b"|"false"\r\n');
  });
});
