import { describe, expect, it } from "vitest";
import { LOAD_COLUMNS, loadFileChunks, loadRow } from "../../bench/load/load-file";
import { CsvReader } from "../../emulator/http/csv-reader";

describe("the load benchmark's upsert file", () => {
  it("is a header and one CSV row per record, every row with every column and a unique external id", () => {
    // Act
    const reader = new CsvReader(Buffer.concat([...loadFileChunks(3000, 4096)]), ",");
    const header = reader.next() ?? [];
    const rows: Array<Record<string, string>> = [];
    for (let fields = reader.next(); fields !== undefined; fields = reader.next()) {
      expect(fields).toHaveLength(header.length);
      rows.push(Object.fromEntries(header.map((name, i) => [name, fields[i] ?? ""])));
    }

    // Assess
    expect(rows).toHaveLength(3000);
    expect(header).toEqual([...LOAD_COLUMNS]);
    expect(new Set(rows.map((row) => row.ERP_Id__c)).size).toBe(3000);
    expect(rows.some((row) => row.Description__c?.includes("\n"))).toBe(true);
    expect(rows.some((row) => row.Description__c?.includes('"'))).toBe(true);
    expect(rows.every((row) => /^\d{4}-\d{2}-\d{2}$/.test(row.Founded__c ?? ""))).toBe(true);
  });

  it("is the same file every time, whatever the chunk size", () => {
    // Act
    const small = Buffer.concat([...loadFileChunks(500, 1000)]);
    const large = Buffer.concat([...loadFileChunks(500, 1 << 20)]);

    // Assess
    expect(small.equals(large)).toBe(true);
    expect(loadRow(42)).toBe(loadRow(42));
  });
});
