import { describe, expect, it } from "vitest";
import { EmulatorInputError } from "../../../emulator/errors";
import { CsvReader } from "../../../emulator/http/csv-reader";

function readAll(text: string, delimiter = ","): string[][] {
  const reader = new CsvReader(Buffer.from(text, "utf8"), delimiter);
  const rows: string[][] = [];
  for (let row = reader.next(); row !== undefined; row = reader.next()) rows.push(row);
  return rows;
}

describe("CsvReader", () => {
  it("reads quoted fields with delimiters, doubled quotes and newlines", () => {
    expect(readAll('Name,Notes\n"Acme, Inc.","said ""hi""\nthen left"\nPlain,\n')).toEqual([
      ["Name", "Notes"],
      ["Acme, Inc.", 'said "hi"\nthen left'],
      ["Plain", ""],
    ]);
  });

  it("accepts CRLF, a BOM, another delimiter, and skips blank lines", () => {
    expect(readAll('\ufeffA;B\r\n1;2\r\n\r\n3;"4"', ";")).toEqual([
      ["A", "B"],
      ["1", "2"],
      ["3", "4"],
    ]);
  });

  it("re-reads a row from its recorded start offset", () => {
    // Prepare
    const data = Buffer.from('Id,Name\n1,"Zoë, ""Z"""\n2,Bo\n');
    const reader = new CsvReader(data, ",");
    reader.next();
    reader.next();
    const start = reader.rowStart;
    // Act
    const again = new CsvReader(data, ",", start).next();
    // Assess
    expect(again).toEqual(["1", 'Zoë, "Z"']);
  });

  it("throws a EmulatorInputError with the line when a quote is never closed", () => {
    expect(() => readAll('A\n"open\nstill open')).toThrow(EmulatorInputError);
  });
});
