/**
 * The demo org's schema: standard objects, custom fields on Account, and the custom Invoice__c
 * object with an external id, a lookup, a restricted picklist, a formula and a multi-select picklist.
 */

import {
  autoNumberName,
  checkbox,
  currency,
  date,
  datetime,
  email,
  field,
  formula,
  location,
  multipicklist,
  number,
  object,
  percent,
  phone,
  picklist,
  reference,
  systemFields,
  text,
  textarea,
  url,
} from "./schema";
import {
  accountHistoryObject,
  accountObject,
  attachmentObject,
  caseObject,
  contactObject,
  leadObject,
  opportunityObject,
  userObject,
} from "./standard-objects";
import { dateOf, daysBetween } from "./temporal";
import type { ObjectDef } from "./types";

export const INVOICE_STATUSES = ["Draft", "Sent", "Paid", "Overdue", "Void"];
export const INVOICE_TAGS = ["Priority", "Recurring", "Disputed", "Export", "Partner"];
export const TIERS = ["Gold", "Silver", "Bronze"];

function demoAccount(): ObjectDef {
  const def = accountObject();
  def.fields.push(
    text("ERP_Id__c", 20, { label: "ERP Id", externalId: true, idLookup: true }),
    picklist("Tier__c", TIERS, { label: "Tier" }),
    ...location("Headquarters__c", "Headquarters"),
    field("time", "Support_Start__c", { label: "Support Start" }),
  );
  return def;
}

export function invoiceObject(): ObjectDef {
  return object(
    "Invoice__c",
    "a0X",
    [
      ...systemFields("Invoice", { owner: true }),
      autoNumberName("Invoice Number", "INV-", 6),
      text("ERP_Id__c", 40, { label: "ERP Id", externalId: true, unique: true, idLookup: true }),
      reference("Account__c", ["Account"], { label: "Account" }),
      currency("Amount__c", { label: "Amount", precision: 16 }),
      date("Due_Date__c", { label: "Due Date" }),
      checkbox("Paid__c", { label: "Paid" }),
      picklist("Status__c", INVOICE_STATUSES, { label: "Status", restricted: true, defaultValue: "Draft" }),
      textarea("Notes__c", 32768, { label: "Notes" }),
      number("Quantity__c", 18, 0, { label: "Quantity" }),
      formula(
        "double",
        "Days_Overdue__c",
        "IF(Paid__c, 0, MAX(0, TODAY() - Due_Date__c))",
        (row, context) => {
          const due = row.get("Due_Date__c");
          if (row.get("Paid__c") === true) return 0;
          if (typeof due !== "string") return null;
          return Math.max(0, daysBetween(due, dateOf(context.now)));
        },
        { label: "Days Overdue", precision: 18, scale: 0 },
      ),
      formula(
        "string",
        "Account_Rating__c",
        "TEXT(Account__r.Rating)",
        (row, context) => {
          const account = row.get("Account__c");
          if (typeof account !== "string") return null;
          return context.record(account)?.get("Rating") ?? null;
        },
        { label: "Account Rating", length: 1300 },
      ),
      multipicklist("Tags__c", INVOICE_TAGS, { label: "Tags" }),
      datetime("Issued_At__c", { label: "Issued At" }),
      email("Contact_Email__c", { label: "Contact Email" }),
      percent("Discount__c", { label: "Discount", precision: 5, scale: 2 }),
      url("Payment_Link__c", { label: "Payment Link" }),
      phone("Billing_Phone__c", { label: "Billing Phone" }),
    ],
    { label: "Invoice", labelPlural: "Invoices" },
  );
}

/** Every object of the demo org, in describeGlobal order. */
export function demoObjects(): ObjectDef[] {
  return [
    demoAccount(),
    accountHistoryObject(),
    attachmentObject(),
    caseObject(),
    contactObject(),
    invoiceObject(),
    leadObject(),
    opportunityObject(),
    userObject(),
  ];
}
