import { describe, expect, it } from "vitest";
import { demoObjects } from "../../../emulator/org/demo-schema";
import { createOrg } from "../../../emulator/org/org";
import { mustInsert, T0 } from "./fixtures";

const FROM = T0 - 30 * 86_400_000;

function generatedOrg(seed = 4, count = 500) {
  const org = createOrg({ seed, now: T0, frozen: true, objects: demoObjects() });
  const parents = [mustInsert(org, "Account", { Name: "P1" }), mustInsert(org, "Account", { Name: "P2" })];
  org.generate("Invoice__c", count, { from: FROM, to: T0 });
  org.generate("Account", count, { from: FROM, to: T0 });
  return { org, parents };
}

const everything = (org: ReturnType<typeof createOrg>, objectName: string) => {
  const fields = org
    .describe(objectName)
    .fields.filter((f) => f.type !== "address" && f.type !== "location")
    .map((f) => f.name);
  const result = org.query(`SELECT ${fields.join(", ")} FROM ${objectName}`, { includeDeleted: false });
  return { fields, rows: [...result.rows()] };
};

describe("generated rows", () => {
  it("adds the rows to the count and reads them back identically for the same seed", () => {
    const first = generatedOrg(4);
    const second = generatedOrg(4);
    const other = generatedOrg(5);

    expect(first.org.count("Invoice__c")).toBe(500);
    expect(everything(first.org, "Invoice__c").rows).toEqual(everything(second.org, "Invoice__c").rows);
    expect(everything(first.org, "Invoice__c").rows).not.toEqual(everything(other.org, "Invoice__c").rows);
  });

  it("types every value as its field's canonical form", () => {
    const { org } = generatedOrg();
    const { fields, rows } = everything(org, "Account");
    const describe = org.describe("Account");

    for (const [column, name] of fields.entries()) {
      const field = describe.fields.find((f) => f.name === name);
      const values = rows.map((r) => r.values[column]).filter((v) => v !== null);
      for (const value of values) {
        switch (field?.type) {
          case "boolean":
            expect(typeof value, name).toBe("boolean");
            break;
          case "int":
          case "double":
          case "currency":
          case "percent":
          case "datetime":
            expect(typeof value, name).toBe("number");
            break;
          case "date":
            expect(value, name).toMatch(/^\d{4}-\d{2}-\d{2}$/);
            break;
          case "time":
            expect(value, name).toMatch(/^\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
            break;
          case "id":
          case "reference":
            expect(value, name).toMatch(/^[a-zA-Z0-9]{18}$/);
            break;
          default:
            expect(typeof value, name).toBe("string");
        }
      }
    }
  });

  it("spreads timestamps over the range and keeps SystemModstamp at or after CreatedDate", () => {
    const { org } = generatedOrg();

    const rows = [
      ...org.query("SELECT CreatedDate, SystemModstamp FROM Invoice__c", { includeDeleted: false }).rows(),
    ];

    for (const row of rows) {
      const [created, modstamp] = row.values as number[];
      expect(created).toBeGreaterThanOrEqual(FROM);
      expect(modstamp).toBeGreaterThanOrEqual(created as number);
      expect(modstamp).toBeLessThanOrEqual(T0);
    }
  });

  it("covers awkward text, nulls, picklist values and references to existing rows", () => {
    const { org, parents } = generatedOrg();

    const rows = [
      ...org
        .query("SELECT Name, Description, Industry, ParentId FROM Account", { includeDeleted: false })
        .rows(),
    ];
    const texts = rows.flatMap((r) => r.values).filter((v): v is string => typeof v === "string");
    const industries = new Set(
      org
        .describe("Account")
        .fields.find((f) => f.name === "Industry")
        ?.picklistValues.map((p) => p.value),
    );
    const invoices = [
      ...org.query("SELECT Account__c, Status__c FROM Invoice__c", { includeDeleted: false }).rows(),
    ];

    expect(texts.some((t) => t.includes(","))).toBe(true);
    expect(texts.some((t) => t.includes('"'))).toBe(true);
    expect(texts.some((t) => t.includes("\n"))).toBe(true);
    expect(texts.some((t) => /[^\x20-\x7e\n\r\t]/.test(t))).toBe(true);
    expect(rows.some((r) => r.values[1] === null)).toBe(true);
    expect(rows.every((r) => r.values[2] === null || industries.has(r.values[2] as string))).toBe(true);
    expect(invoices.every((r) => r.values[0] === null || parents.includes(r.values[0] as string))).toBe(true);
    expect(invoices.some((r) => r.values[0] !== null)).toBe(true);
  });

  it("gives unique fields unique values so upsert can address generated rows", () => {
    const { org } = generatedOrg();
    const keys = [
      ...org
        .query("SELECT ERP_Id__c FROM Invoice__c WHERE ERP_Id__c != null", { includeDeleted: false })
        .rows(),
    ].map((r) => r.values[0]);
    const key = keys[42] as string;

    const result = org.upsert("Invoice__c", "ERP_Id__c", { ERP_Id__c: key, Amount__c: 1 }, "json");

    expect(new Set(keys).size).toBe(keys.length);
    expect(result).toMatchObject({ success: true, created: false });
  });

  it("stores an override when a generated row is written, leaving its other values as generated", () => {
    const { org } = generatedOrg();
    const [row] = [
      ...org
        .query("SELECT Id, Name, Industry FROM Account WHERE Name LIKE '%' ORDER BY Id DESC LIMIT 1", {
          includeDeleted: false,
        })
        .rows(),
    ];
    const id = row?.id as string;
    org.clock.advance(1000);

    org.update("Account", { Id: id, Industry: "Energy" }, "json");
    org.delete(
      "Account",
      org
        .query("SELECT Id FROM Account ORDER BY Id LIMIT 1 OFFSET 100", { includeDeleted: false })
        .rows()
        [Symbol.iterator]()
        .next().value?.id as string,
    );

    expect(org.get("Account", id)).toMatchObject({
      Name: row?.values[1],
      Industry: "Energy",
      SystemModstamp: T0 + 1000,
    });
    expect(org.count("Account")).toBe(501);
    expect(org.count("Account", { includeDeleted: true })).toBe(502);
  });

  it("finds generated rows by Id and by 15-character Id in queries", () => {
    const { org } = generatedOrg();
    const id = [
      ...org.query("SELECT Id FROM Invoice__c LIMIT 1 OFFSET 250", { includeDeleted: false }).rows(),
    ][0]?.id as string;

    const found = org.query(`SELECT Id FROM Invoice__c WHERE Id = '${id.slice(0, 15)}'`, {
      includeDeleted: false,
    });

    expect(org.get("Invoice__c", id)?.Id).toBe(id);
    expect([...found.rows()].map((r) => r.id)).toEqual([id]);
  });
});

describe("generating twice", () => {
  it("keeps unique values unique across generate calls with the same seed", () => {
    const org = createOrg({ seed: 8, now: T0, frozen: true, objects: demoObjects() });
    org.generate("Invoice__c", 200);
    org.generate("Invoice__c", 200);

    const keys = [
      ...org
        .query("SELECT ERP_Id__c FROM Invoice__c WHERE ERP_Id__c != null", { includeDeleted: false })
        .rows(),
    ];

    expect(keys.length).toBeGreaterThan(300);
    expect(new Set(keys.map((r) => r.values[0])).size).toBe(keys.length);
  });
});
