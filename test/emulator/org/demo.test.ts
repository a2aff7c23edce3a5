import { describe, expect, it } from "vitest";
import { createDemoOrg, DEMO_VOLUMES } from "../../../emulator/org/demo";

const NOW = Date.UTC(2025, 5, 1);

describe("demo org", () => {
  it("holds the documented volumes of every object", () => {
    const org = createDemoOrg({ seed: 3, now: NOW });

    for (const [name, volume] of Object.entries(DEMO_VOLUMES)) {
      const expected = name === "User" ? volume + 1 : volume;
      expect(org.count(name), name).toBe(expected);
    }
    expect(org.count("AccountHistory")).toBe(DEMO_VOLUMES.Account);
  });

  it("is the same org for the same seed and a different one for another seed", () => {
    const query = "SELECT Id, Name, AnnualRevenue, CreatedDate FROM Account ORDER BY Name LIMIT 20";
    const rows = (seed: number) => [
      ...createDemoOrg({ seed, now: NOW }).query(query, { includeDeleted: false }).rows(),
    ];

    expect(rows(11)).toEqual(rows(11));
    expect(rows(11)).not.toEqual(rows(12));
  });

  it("spreads timestamps over the year before now", () => {
    const org = createDemoOrg({ seed: 5, now: NOW });

    const result = org.query("SELECT CreatedDate, SystemModstamp FROM Account", { includeDeleted: false });
    const created = [...result.rows()].map((row) => row.values[0] as number);

    expect(Math.min(...created)).toBeGreaterThanOrEqual(NOW - 366 * 86_400_000);
    expect(Math.max(...created)).toBeLessThan(NOW);
    expect(new Set(created).size).toBeGreaterThan(150);
  });

  it("contains awkward text: commas, quotes, newlines and non-ASCII", () => {
    const org = createDemoOrg({ seed: 9, now: NOW });

    const texts = [
      ...org.query("SELECT Name, Description, BillingCity FROM Account", { includeDeleted: false }).rows(),
    ]
      .flatMap((row) => row.values)
      .filter((value): value is string => typeof value === "string");

    expect(texts.some((t) => t.includes(","))).toBe(true);
    expect(texts.some((t) => t.includes('"'))).toBe(true);
    expect(texts.some((t) => t.includes("\n"))).toBe(true);
    expect(texts.some((t) => /[^\x20-\x7e\n\r\t]/.test(t))).toBe(true);
  });

  it("describes the objects the connector's fallbacks need", () => {
    const org = createDemoOrg({ seed: 1, now: NOW });

    const history = org.describe("AccountHistory");
    const attachment = org.describe("Attachment");

    expect(history.fields.map((f) => f.name)).toContain("CreatedDate");
    expect(history.fields.map((f) => f.name)).not.toContain("SystemModstamp");
    expect(history.fields.map((f) => f.name)).not.toContain("LastModifiedDate");
    expect(attachment.bulkQuerySupported).toBe(false);
    expect(attachment.fields.find((f) => f.name === "Body")?.type).toBe("base64");
  });
});
