import { describe, expect, it } from "vitest";
import { bulkNumber, bulkRowFormat, quote } from "../../../emulator/http/bulk-csv";
import type { Column, FieldDef, FieldType } from "../../../emulator/org/types";

function field(name: string, type: FieldType): FieldDef {
  return { name, type } as FieldDef;
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
    const format = bulkRowFormat(columns, "COMMA", "LF");
    const at = Date.UTC(2024, 3, 16, 19, 0, 0);
    // Act
    const line = format.row({
      id: "001",
      values: ["001000000000001AAA", 23, 1500.5, true, at, 'line one\nsaid "x"', null],
    });
    // Assess
    expect(format.header).toBe(
      '"Id","NumberOfEmployees","AnnualRevenue","IsActive","CreatedDate","Description","Owner.Name"\n',
    );
    expect(line).toBe(
      '"001000000000001AAA","23.0","1500.5","true","2024-04-16T19:00:00.000Z","line one\nsaid ""x""",""\n',
    );
  });

  it("uses the job's delimiter and line ending", () => {
    // Prepare
    const format = bulkRowFormat([column("Name", "string"), column("Paid__c", "boolean")], "PIPE", "CRLF");
    // Act
    const line = format.row({ id: "x", values: ["a|b", false] });
    // Assess
    expect(format.header).toBe('"Name"|"Paid__c"\r\n');
    expect(line).toBe('"a|b"|"false"\r\n');
  });
});
