import { describe, expect, it } from "vitest";
import { buildStream } from "../../../../functions/core/catalog";
import type { LoadPlan, PlanColumn } from "../../../../functions/core/load/load-plan";
import { classifyCallError, collectionsRecord } from "../../../../functions/core/load/send-collections";
import { ConfigurationError, RateLimitError, TransientError } from "../../../../functions/errors";
import type { DescribeField } from "../../../../functions/salesforce/describe";

function field(name: string, type: string, extra: Partial<DescribeField> = {}): DescribeField {
  return {
    name,
    type,
    nillable: true,
    createable: true,
    updateable: true,
    calculated: false,
    externalId: false,
    idLookup: false,
    unique: false,
    filterable: true,
    compoundFieldName: null,
    ...extra,
  };
}

const invoice = buildStream({
  name: "Invoice__c",
  label: "Invoice",
  custom: true,
  queryable: true,
  retrieveable: true,
  replicateable: true,
  createable: true,
  updateable: true,
  deletable: true,
  fields: [
    field("Amount__c", "currency", { precision: 16, scale: 2 }),
    field("Paid__c", "boolean"),
    field("Quantity__c", "double", { precision: 18, scale: 0 }),
    field("Account__c", "reference", { referenceTo: ["Account"], relationshipName: "Account__r" }),
  ],
});
const byName = new Map(invoice.fields.map((f) => [f.name, f]));
const erpId = buildStream({
  ...{
    name: "Account",
    label: "Account",
    custom: false,
    queryable: true,
    retrieveable: true,
    replicateable: true,
  },
  ...{ createable: true, updateable: true, deletable: true },
  fields: [field("ERP_Id__c", "string", { externalId: true, idLookup: true, length: 20 })],
}).fields[0];

const columns: PlanColumn[] = [
  { header: "Amount__c", name: "Amount__c", field: byName.get("Amount__c") as PlanColumn["field"] },
  { header: "Paid__c", name: "Paid__c", field: byName.get("Paid__c") as PlanColumn["field"] },
  { header: "Quantity__c", name: "Quantity__c", field: byName.get("Quantity__c") as PlanColumn["field"] },
  {
    header: "Account__r.ERP_Id__c",
    name: "Account__r.ERP_Id__c",
    field: erpId as PlanColumn["field"],
    relationship: { name: "Account__r", referenceField: "Account__c", object: "Account" },
  },
];
const plan: LoadPlan = { object: "Invoice__c", operation: "insert", format: "csv", columns, idColumn: -1 };

describe("collections records", () => {
  it("types values for JSON, nests a parent reference by external id, and leaves unset fields out", () => {
    // Act
    const record = collectionsRecord(plan, {
      index: 0,
      line: 2,
      values: ["12.50", "true", undefined, "ACC-1"],
    });
    const cleared = collectionsRecord(plan, { index: 1, line: 3, values: [null, "false", "3", null] });

    // Assess
    expect(record).toEqual({
      Amount__c: 12.5,
      Paid__c: true,
      Account__r: { attributes: { type: "Account" }, ERP_Id__c: "ACC-1" },
    });
    expect(cleared).toEqual({ Amount__c: null, Paid__c: false, Quantity__c: 3, Account__c: null });
  });
});

describe("collections call failures", () => {
  it("tells calls Salesforce refused before doing anything from calls whose outcome is unknown", () => {
    // Act & Assess
    expect(classifyCallError(new RateLimitError("limit")).kind).toBe("notProcessed");
    expect(
      classifyCallError(new TransientError("503", { code: "SERVER_UNAVAILABLE", status: 503 })).kind,
    ).toBe("notProcessed");
    expect(classifyCallError(new TransientError("dropped mid-body")).kind).toBe("unknown");
    expect(classifyCallError(new TransientError("bad gateway", { status: 502 })).kind).toBe("unknown");
    expect(classifyCallError(new ConfigurationError("2 results for 3 records")).kind).toBe("unknown");
    expect(
      classifyCallError(new ConfigurationError("bad request", { status: 400, code: "JSON_PARSER_ERROR" }))
        .kind,
    ).toBe("refused");
    expect(() => classifyCallError(new Error("a bug"))).toThrow("a bug");
  });
});
