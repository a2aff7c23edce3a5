import { describe, expect, it } from "vitest";
import { MaterializedCsv } from "../../../emulator/http/materialized-csv";

function text(csv: MaterializedCsv, from: number, to: number): string {
  return Buffer.concat(csv.slice(from, to).buffers).toString("utf8");
}

describe("MaterializedCsv", () => {
  it("serves any row range across block boundaries, byte-exact with non-ASCII text", () => {
    // Prepare
    const csv = new MaterializedCsv(Buffer.from('"Name"\n'));
    const lines = Array.from(
      { length: 10_000 },
      (_, i) => `"row ${i}${i % 7 === 0 ? " Zürich 東京" : ""}"\n`,
    );
    // Act
    for (const line of lines) csv.append(line);
    csv.finish();
    // Assess
    expect(csv.rowCount).toBe(10_000);
    expect(csv.byteLength).toBe(Buffer.byteLength(lines.join("")));
    expect(text(csv, 0, 3)).toBe(lines.slice(0, 3).join(""));
    expect(text(csv, 4090, 4100)).toBe(lines.slice(4090, 4100).join(""));
    expect(text(csv, 9998, 20_000)).toBe(lines.slice(9998).join(""));
    expect(csv.slice(0, 10_000).bytes).toBe(csv.byteLength);
  });

  it("returns nothing past the last row", () => {
    // Prepare
    const csv = new MaterializedCsv(Buffer.from('"Id"\n'));
    csv.append('"a"\n');
    csv.finish();
    // Act
    const slice = csv.slice(1, 5);
    // Assess
    expect(slice).toEqual({ buffers: [], bytes: 0 });
  });
});
