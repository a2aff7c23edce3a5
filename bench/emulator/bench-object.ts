/**
 * The benchmark's Account-like object: 40 queryable fields (8 system fields, Name and 31 custom
 * fields) covering every value shape the extract converter must handle — text with commas, quotes,
 * newlines and non-ASCII, picklists, numbers, dates, datetimes, booleans and nulls — plus an external
 * id for the load benchmark's upsert. Values are computed on read by the emulator's generator.
 */
import { field, multipicklist, picklist, reference } from "../../emulator/org/schema";
import type { FieldDef } from "../../emulator/org/types";

export const BENCH_OBJECT = "Bench_Account__c";
export const BENCH_EXTERNAL_ID = "ERP_Id__c";

const TYPES = ["Customer", "Partner", "Prospect", "Reseller", "Other"];
const INDUSTRIES = ["Banking", "Energy", "Retail", "Technology", "Healthcare", "Manufacturing"];
const RATINGS = ["Hot", "Warm", "Cold"];
const TIERS = ["Gold", "Silver", "Bronze"];
const TAGS = ["Priority", "Recurring", "Disputed", "Export", "Partner"];

/** The custom fields, in describe order (the system fields and Name come first, added by the org). */
export function benchFields(): FieldDef[] {
  return [
    field("string", BENCH_EXTERNAL_ID, { length: 40, externalId: true, unique: true, idLookup: true }),
    picklist("Type__c", TYPES),
    picklist("Industry__c", INDUSTRIES),
    picklist("Rating__c", RATINGS),
    picklist("Tier__c", TIERS),
    multipicklist("Tags__c", TAGS),
    field("textarea", "Description__c", { length: 32000 }),
    field("textarea", "Notes__c", { length: 255 }),
    field("textarea", "Billing_Street__c", { length: 255 }),
    field("string", "Billing_City__c", { length: 40 }),
    field("string", "Billing_State__c", { length: 80 }),
    field("string", "Billing_PostalCode__c", { length: 20 }),
    field("string", "Billing_Country__c", { length: 80 }),
    field("phone", "Phone__c"),
    field("phone", "Fax__c"),
    field("url", "Website__c"),
    field("email", "Email__c"),
    field("string", "Ticker__c", { length: 20 }),
    field("currency", "Annual_Revenue__c", { precision: 18, scale: 2 }),
    field("int", "Employees__c", { digits: 8 }),
    field("double", "Score__c", { precision: 18, scale: 4 }),
    field("percent", "Discount__c", { precision: 5, scale: 2 }),
    field("double", "Latitude__c", { precision: 18, scale: 6 }),
    field("double", "Longitude__c", { precision: 18, scale: 6 }),
    field("boolean", "Active__c"),
    field("boolean", "Verified__c"),
    field("date", "Founded__c"),
    field("date", "Contract_End__c"),
    field("datetime", "Last_Contact__c"),
    field("datetime", "Next_Renewal__c"),
    reference("Parent_Account__c", ["Account"]),
  ];
}
