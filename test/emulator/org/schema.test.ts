import { describe, expect, it } from "vitest";
import { createDemoOrg } from "../../../emulator/org/demo";
import type { FieldDef } from "../../../emulator/org/types";

const FIELD_KEYS: Array<keyof FieldDef> = [
  "name",
  "label",
  "type",
  "soapType",
  "length",
  "byteLength",
  "precision",
  "scale",
  "digits",
  "nillable",
  "createable",
  "updateable",
  "calculated",
  "calculatedFormula",
  "autoNumber",
  "externalId",
  "idLookup",
  "unique",
  "caseSensitive",
  "compoundFieldName",
  "filterable",
  "sortable",
  "groupable",
  "defaultedOnCreate",
  "custom",
  "nameField",
  "htmlFormatted",
  "deprecatedAndHidden",
  "picklistValues",
  "restrictedPicklist",
  "referenceTo",
  "relationshipName",
];

const org = createDemoOrg({ seed: 2, now: Date.UTC(2025, 5, 1) });
const fieldOf = (objectName: string, name: string): FieldDef => {
  const found = org.describe(objectName).fields.find((f) => f.name === name);
  if (!found) throw new Error(`${objectName}.${name} missing`);
  return found;
};

describe("describe metadata", () => {
  it("fills every describe key on every field of every object", () => {
    for (const object of org.listObjects()) {
      for (const field of object.fields) {
        expect(Object.keys(field).sort(), `${object.name}.${field.name}`).toEqual([...FIELD_KEYS].sort());
      }
    }
  });

  it("lists objects with real key prefixes", () => {
    const prefixes = Object.fromEntries(org.listObjects().map((o) => [o.name, o.keyPrefix]));

    expect(prefixes).toMatchObject({
      Account: "001",
      Contact: "003",
      Opportunity: "006",
      Lead: "00Q",
      Case: "500",
      User: "005",
      Invoice__c: "a0X",
    });
    expect(org.orgId.startsWith("00D")).toBe(true);
  });

  it("describes system fields as read-only and defaulted on create", () => {
    for (const name of [
      "Id",
      "CreatedDate",
      "CreatedById",
      "LastModifiedDate",
      "SystemModstamp",
      "IsDeleted",
    ]) {
      const field = fieldOf("Account", name);
      expect(field.createable, name).toBe(false);
      expect(field.updateable, name).toBe(false);
      expect(field.defaultedOnCreate, name).toBe(true);
    }
    expect(fieldOf("Account", "Id")).toMatchObject({
      type: "id",
      soapType: "tns:ID",
      length: 18,
      nillable: false,
    });
    expect(fieldOf("Account", "SystemModstamp")).toMatchObject({
      type: "datetime",
      soapType: "xsd:dateTime",
    });
    expect(fieldOf("Account", "CreatedById")).toMatchObject({
      referenceTo: ["User"],
      relationshipName: "CreatedBy",
    });
  });

  it("describes the Account billing address as a compound with its components", () => {
    const compound = fieldOf("Account", "BillingAddress");
    const parts = org
      .describe("Account")
      .fields.filter((f) => f.compoundFieldName === "BillingAddress")
      .map((f) => f.name);

    expect(compound).toMatchObject({ type: "address", soapType: "urn:address", createable: false });
    expect(parts).toEqual([
      "BillingStreet",
      "BillingCity",
      "BillingState",
      "BillingPostalCode",
      "BillingCountry",
      "BillingLatitude",
      "BillingLongitude",
      "BillingGeocodeAccuracy",
    ]);
  });

  it("describes standard fields with their real types and flags", () => {
    expect(fieldOf("Account", "Name")).toMatchObject({
      type: "string",
      length: 255,
      nillable: false,
      nameField: true,
    });
    expect(fieldOf("Account", "Industry").type).toBe("picklist");
    expect(fieldOf("Account", "AnnualRevenue")).toMatchObject({ type: "currency", soapType: "xsd:double" });
    expect(fieldOf("Account", "NumberOfEmployees")).toMatchObject({
      type: "int",
      soapType: "xsd:int",
      digits: 8,
    });
    expect(fieldOf("Account", "Website").type).toBe("url");
    expect(fieldOf("Account", "Description")).toMatchObject({
      type: "textarea",
      filterable: false,
      sortable: false,
    });
    expect(fieldOf("Account", "OwnerId")).toMatchObject({
      relationshipName: "Owner",
      defaultedOnCreate: true,
    });
    expect(fieldOf("Account", "ParentId")).toMatchObject({
      referenceTo: ["Account"],
      relationshipName: "Parent",
    });
    expect(fieldOf("Contact", "Birthdate").type).toBe("date");
    expect(fieldOf("Contact", "Email").type).toBe("email");
    expect(fieldOf("Opportunity", "Probability").type).toBe("percent");
    expect(fieldOf("Opportunity", "ExpectedRevenue")).toMatchObject({
      type: "currency",
      calculated: true,
      calculatedFormula: "Amount * Probability / 100",
      createable: false,
    });
    expect(fieldOf("Lead", "Status")).toMatchObject({ defaultedOnCreate: true, nillable: false });
    expect(fieldOf("Attachment", "Body")).toMatchObject({ type: "base64", soapType: "xsd:base64Binary" });
  });

  it("describes the custom invoice object and the custom fields on Account", () => {
    const invoice = org.describe("Invoice__c");

    expect(invoice.custom).toBe(true);
    expect(fieldOf("Invoice__c", "ERP_Id__c")).toMatchObject({
      externalId: true,
      unique: true,
      idLookup: true,
      custom: true,
    });
    expect(fieldOf("Invoice__c", "Account__c")).toMatchObject({
      referenceTo: ["Account"],
      relationshipName: "Account__r",
    });
    expect(fieldOf("Invoice__c", "Status__c")).toMatchObject({ restrictedPicklist: true, type: "picklist" });
    expect(fieldOf("Invoice__c", "Notes__c")).toMatchObject({
      type: "textarea",
      length: 32768,
      byteLength: 98304,
    });
    expect(fieldOf("Invoice__c", "Quantity__c")).toMatchObject({ type: "double", precision: 18, scale: 0 });
    expect(fieldOf("Invoice__c", "Days_Overdue__c").calculated).toBe(true);
    expect(fieldOf("Invoice__c", "Tags__c").type).toBe("multipicklist");
    expect(fieldOf("Invoice__c", "Name")).toMatchObject({ autoNumber: true, createable: false });
    expect(fieldOf("Account", "ERP_Id__c")).toMatchObject({ externalId: true, custom: true });
    expect(fieldOf("Account", "Tier__c").type).toBe("picklist");
    expect(fieldOf("Account", "Headquarters__c").type).toBe("location");
  });

  it("finds objects case-insensitively and refuses unknown ones with NOT_FOUND", () => {
    expect(org.describe("account").name).toBe("Account");
    expect(() => org.describe("Nope__c")).toThrowError(expect.objectContaining({ errorCode: "NOT_FOUND" }));
  });

  it("hands out copies, so callers cannot change the org's schema by accident", () => {
    const described = org.describe("Account");
    described.fields.length = 0;

    expect(org.describe("Account").fields.length).toBeGreaterThan(40);
  });
});
