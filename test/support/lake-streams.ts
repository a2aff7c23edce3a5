import { createDemoOrg } from "../../emulator/org/demo";
import { buildStream, type CatalogStream } from "../../functions/core/catalog";
import type { DescribeObject } from "../../functions/salesforce/describe";
import { catalogField } from "./catalog-field";

/** A demo org stream as discover catalogs it (the emulator's describe is the same shape as the API's). */
export function demoStream(object: string): CatalogStream {
  const org = createDemoOrg({ seed: 1 });
  return buildStream(org.describe(object) as unknown as DescribeObject);
}

/** A small stream with one field of each lake type, a cursor and IsDeleted. */
export function smallStream(): CatalogStream {
  const fields = [
    catalogField("Id", "id"),
    catalogField("IsDeleted", "boolean"),
    catalogField("Name", "string"),
    catalogField("Amount__c", "currency", { precision: 18, scale: 2 }),
    catalogField("Employees__c", "long"),
    catalogField("Since__c", "date"),
    catalogField("SystemModstamp", "datetime"),
  ];
  return {
    object: "Thing__c",
    label: "Thing",
    custom: true,
    primaryKey: ["Id"],
    cursorField: "SystemModstamp",
    syncModes: ["full_refresh", "incremental"],
    api: "bulk",
    hasIsDeleted: true,
    fields,
    selectFields: fields.map((field) => field.name),
  };
}
