/**
 * Standard Salesforce objects as a real org describes them (a representative subset of their fields,
 * with real names, types, lengths and flags). Derived fields (Contact.Name, Opportunity.IsClosed, …)
 * are computed from the fields they follow.
 */
import {
  address,
  base64,
  checkbox,
  currency,
  date,
  datetime,
  derived,
  email,
  field,
  formula,
  integer,
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
  withBehavior,
} from "./schema";
import type { FieldDef, ObjectDef, Value } from "./types";

const readOnly = { createable: false, updateable: false };

function fullName(first: Value, last: Value): Value {
  const parts = [first, last].filter((part) => typeof part === "string" && part !== "");
  return parts.length > 0 ? parts.join(" ") : null;
}

function nameOf(label: string): FieldDef {
  return derived(text("Name", 121, { label, nameField: true, nillable: true }), (row) =>
    fullName(row.get("FirstName"), row.get("LastName")),
  );
}

const SALUTATIONS = ["Mr.", "Ms.", "Mrs.", "Dr.", "Prof."];
export const INDUSTRIES = [
  "Agriculture",
  "Apparel",
  "Banking",
  "Biotechnology",
  "Chemicals",
  "Communications",
  "Construction",
  "Consulting",
  "Education",
  "Electronics",
  "Energy",
  "Engineering",
  "Entertainment",
  "Environmental",
  "Finance",
  "Food & Beverage",
  "Government",
  "Healthcare",
  "Hospitality",
  "Insurance",
  "Machinery",
  "Manufacturing",
  "Media",
  "Not For Profit",
  "Recreation",
  "Retail",
  "Shipping",
  "Technology",
  "Telecommunications",
  "Transportation",
  "Utilities",
  "Other",
];
export const LEAD_SOURCES = ["Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other"];
export const RATINGS = ["Hot", "Warm", "Cold"];
export const ACCOUNT_TYPES = [
  "Prospect",
  "Customer - Direct",
  "Customer - Channel",
  "Channel Partner / Reseller",
  "Installation Partner",
  "Technology Partner",
  "Other",
];

/** Opportunity stages with their default probability and closed/won flags. */
export const STAGES: ReadonlyArray<{ name: string; probability: number; closed: boolean; won: boolean }> = [
  { name: "Prospecting", probability: 10, closed: false, won: false },
  { name: "Qualification", probability: 10, closed: false, won: false },
  { name: "Needs Analysis", probability: 20, closed: false, won: false },
  { name: "Value Proposition", probability: 50, closed: false, won: false },
  { name: "Id. Decision Makers", probability: 60, closed: false, won: false },
  { name: "Perception Analysis", probability: 70, closed: false, won: false },
  { name: "Proposal/Price Quote", probability: 75, closed: false, won: false },
  { name: "Negotiation/Review", probability: 90, closed: false, won: false },
  { name: "Closed Won", probability: 100, closed: true, won: true },
  { name: "Closed Lost", probability: 0, closed: true, won: false },
];
export const LEAD_STATUSES = [
  "Open - Not Contacted",
  "Working - Contacted",
  "Closed - Converted",
  "Closed - Not Converted",
];
export const CASE_STATUSES = ["New", "Working", "Escalated", "Closed"];

export function userObject(): ObjectDef {
  return object(
    "User",
    "005",
    [
      ...systemFields("User", { noIsDeleted: true }),
      text("Username", 80, { nillable: false, unique: true, idLookup: true }),
      text("LastName", 80, { label: "Last Name", nillable: false }),
      text("FirstName", 40, { label: "First Name" }),
      nameOf("Full Name"),
      text("CompanyName", 80, { label: "Company Name" }),
      text("Department", 80),
      text("Title", 80),
      email("Email", { nillable: false }),
      phone("Phone"),
      text("Alias", 8, { nillable: false }),
      withBehavior(checkbox("IsActive", { label: "Active" }), { defaultValue: true }),
      picklist(
        "TimeZoneSidKey",
        ["America/Los_Angeles", "America/New_York", "Europe/London", "Europe/Paris", "Asia/Tokyo"],
        {
          label: "Time Zone",
          restricted: true,
          defaultValue: "America/Los_Angeles",
        },
      ),
      picklist("LocaleSidKey", ["en_US", "en_GB", "fr_FR", "de_DE", "ja_JP"], {
        label: "Locale",
        restricted: true,
        defaultValue: "en_US",
      }),
      picklist("LanguageLocaleKey", ["en_US", "fr", "de", "ja"], {
        label: "Language",
        restricted: true,
        defaultValue: "en_US",
      }),
      reference("ManagerId", ["User"], { label: "Manager ID" }),
      text("EmployeeNumber", 20, { label: "Employee Number" }),
      datetime("LastLoginDate", { label: "Last Login", ...readOnly }),
    ],
    { deletable: false, undeletable: false },
  );
}

export function accountObject(): ObjectDef {
  return object(
    "Account",
    "001",
    [
      ...systemFields("Account", { owner: true }),
      reference("MasterRecordId", ["Account"], { label: "Master Record ID", ...readOnly }),
      text("Name", 255, { label: "Account Name", nillable: false, nameField: true }),
      picklist("Type", ACCOUNT_TYPES, { label: "Account Type" }),
      reference("ParentId", ["Account"], { label: "Parent Account ID" }),
      ...address("Billing"),
      ...address("Shipping"),
      phone("Phone", { label: "Account Phone" }),
      phone("Fax", { label: "Account Fax" }),
      text("AccountNumber", 40, { label: "Account Number" }),
      url("Website"),
      url("PhotoUrl", { label: "Photo URL", ...readOnly }),
      text("Sic", 20, { label: "SIC Code" }),
      picklist("Industry", INDUSTRIES),
      currency("AnnualRevenue", { label: "Annual Revenue", scale: 0 }),
      integer("NumberOfEmployees", 8, { label: "Employees" }),
      picklist("Ownership", ["Public", "Private", "Subsidiary", "Other"]),
      text("TickerSymbol", 20, { label: "Ticker Symbol" }),
      textarea("Description", 32000, { label: "Account Description" }),
      picklist("Rating", RATINGS, { label: "Account Rating" }),
      text("Site", 80, { label: "Account Site" }),
      picklist("AccountSource", LEAD_SOURCES, { label: "Account Source" }),
      text("SicDesc", 80, { label: "SIC Description" }),
      date("LastActivityDate", { label: "Last Activity", ...readOnly }),
      datetime("LastViewedDate", { label: "Last Viewed Date", ...readOnly }),
      datetime("LastReferencedDate", { label: "Last Referenced Date", ...readOnly }),
    ],
    { labelPlural: "Accounts" },
  );
}

export function contactObject(): ObjectDef {
  return object("Contact", "003", [
    ...systemFields("Contact", { owner: true }),
    reference("MasterRecordId", ["Contact"], { label: "Master Record ID", ...readOnly }),
    reference("AccountId", ["Account"], { label: "Account ID" }),
    text("LastName", 80, { label: "Last Name", nillable: false }),
    text("FirstName", 40, { label: "First Name" }),
    picklist("Salutation", SALUTATIONS),
    nameOf("Full Name"),
    ...address("Mailing"),
    phone("Phone", { label: "Business Phone" }),
    phone("Fax", { label: "Business Fax" }),
    phone("MobilePhone", { label: "Mobile Phone" }),
    reference("ReportsToId", ["Contact"], { label: "Reports To ID" }),
    email("Email"),
    text("Title", 128),
    text("Department", 80),
    picklist("LeadSource", LEAD_SOURCES, { label: "Lead Source" }),
    date("Birthdate"),
    textarea("Description", 32000, { label: "Contact Description" }),
    checkbox("HasOptedOutOfEmail", { label: "Email Opt Out" }),
    checkbox("DoNotCall", { label: "Do Not Call" }),
    datetime("EmailBouncedDate", { label: "Email Bounced Date" }),
    date("LastActivityDate", { label: "Last Activity", ...readOnly }),
  ]);
}

function stageOf(row: { get(field: string): Value }) {
  const name = row.get("StageName");
  return STAGES.find((stage) => stage.name === name);
}

export function opportunityObject(): ObjectDef {
  return object(
    "Opportunity",
    "006",
    [
      ...systemFields("Opportunity", { owner: true }),
      reference("AccountId", ["Account"], { label: "Account ID" }),
      checkbox("IsPrivate", { label: "Private" }),
      text("Name", 120, { nillable: false, nameField: true }),
      textarea("Description", 32000),
      picklist(
        "StageName",
        STAGES.map((s) => s.name),
        { label: "Stage", nillable: false },
      ),
      currency("Amount"),
      percent("Probability", { label: "Probability (%)" }),
      formula(
        "currency",
        "ExpectedRevenue",
        "Amount * Probability / 100",
        (row) => {
          const amount = row.get("Amount");
          const probability = row.get("Probability");
          if (typeof amount !== "number" || typeof probability !== "number") return null;
          return Math.round(amount * probability) / 100;
        },
        { label: "Expected Amount" },
      ),
      number("TotalOpportunityQuantity", 18, 2, { label: "Quantity" }),
      date("CloseDate", { label: "Close Date", nillable: false }),
      picklist(
        "Type",
        [
          "Existing Customer - Upgrade",
          "Existing Customer - Replacement",
          "Existing Customer - Downgrade",
          "New Customer",
        ],
        { label: "Opportunity Type" },
      ),
      text("NextStep", 255, { label: "Next Step" }),
      picklist("LeadSource", LEAD_SOURCES, { label: "Lead Source" }),
      derived(checkbox("IsClosed", { label: "Closed" }), (row) => stageOf(row)?.closed ?? false),
      derived(checkbox("IsWon", { label: "Won" }), (row) => stageOf(row)?.won ?? false),
      picklist("ForecastCategoryName", ["Omitted", "Pipeline", "Best Case", "Commit", "Closed"], {
        label: "Forecast Category",
      }),
      checkbox("HasOpportunityLineItem", { label: "Has Line Item", ...readOnly }),
      date("LastActivityDate", { label: "Last Activity", ...readOnly }),
    ],
    { labelPlural: "Opportunities" },
  );
}

export function leadObject(): ObjectDef {
  return object("Lead", "00Q", [
    ...systemFields("Lead", { owner: true }),
    reference("MasterRecordId", ["Lead"], { label: "Master Record ID", ...readOnly }),
    text("LastName", 80, { label: "Last Name", nillable: false }),
    text("FirstName", 40, { label: "First Name" }),
    picklist("Salutation", SALUTATIONS),
    nameOf("Full Name"),
    text("Title", 128),
    text("Company", 255, { nillable: false }),
    ...address(""),
    phone("Phone"),
    phone("MobilePhone", { label: "Mobile Phone" }),
    email("Email"),
    url("Website"),
    textarea("Description", 32000),
    picklist("LeadSource", LEAD_SOURCES, { label: "Lead Source" }),
    picklist("Status", LEAD_STATUSES, { nillable: false, defaultValue: "Open - Not Contacted" }),
    picklist("Industry", INDUSTRIES),
    picklist("Rating", RATINGS),
    currency("AnnualRevenue", { label: "Annual Revenue", scale: 0 }),
    integer("NumberOfEmployees", 8, { label: "Employees" }),
    checkbox("IsConverted", { label: "Converted", updateable: false }),
    date("ConvertedDate", { label: "Converted Date", ...readOnly }),
    reference("ConvertedAccountId", ["Account"], { label: "Converted Account ID", ...readOnly }),
    reference("ConvertedContactId", ["Contact"], { label: "Converted Contact ID", ...readOnly }),
    checkbox("IsUnreadByOwner", { label: "Unread By Owner" }),
  ]);
}

export function caseObject(): ObjectDef {
  const caseNumber = withBehavior(
    field("string", "CaseNumber", {
      label: "Case Number",
      length: 30,
      autoNumber: true,
      nillable: false,
      defaultedOnCreate: true,
      nameField: true,
      idLookup: true,
      ...readOnly,
    }),
    { autoNumber: { prefix: "", width: 8 } },
  );
  return object(
    "Case",
    "500",
    [
      ...systemFields("Case", { owner: true }),
      reference("MasterRecordId", ["Case"], { label: "Master Record ID", ...readOnly }),
      caseNumber,
      reference("ContactId", ["Contact"], { label: "Contact ID" }),
      reference("AccountId", ["Account"], { label: "Account ID" }),
      text("SuppliedName", 80, { label: "Web Name" }),
      email("SuppliedEmail", { label: "Web Email" }),
      text("SuppliedPhone", 40, { label: "Web Phone" }),
      picklist("Type", ["Mechanical", "Electrical", "Electronic", "Structural", "Other"], {
        label: "Case Type",
      }),
      picklist("Status", CASE_STATUSES, { defaultValue: "New" }),
      picklist(
        "Reason",
        [
          "Installation",
          "Equipment Complexity",
          "Performance",
          "Breakdown",
          "Equipment Design",
          "Feedback",
          "Other",
        ],
        {
          label: "Case Reason",
        },
      ),
      picklist("Origin", ["Phone", "Email", "Web"], { label: "Case Origin" }),
      text("Subject", 255),
      picklist("Priority", ["High", "Medium", "Low"], { defaultValue: "Medium" }),
      textarea("Description", 32000),
      derived(checkbox("IsClosed", { label: "Closed" }), (row) => row.get("Status") === "Closed"),
      datetime("ClosedDate", { label: "Closed Date", ...readOnly }),
      checkbox("IsEscalated", { label: "Escalated" }),
    ],
    { labelPlural: "Cases" },
  );
}

/** Attachment: carries a base64 Body, which Bulk API query refuses, so the object is REST-only. */
export function attachmentObject(): ObjectDef {
  return object(
    "Attachment",
    "00P",
    [
      ...systemFields("Attachment", { owner: true }),
      reference("ParentId", ["Account", "Contact", "Opportunity", "Case", "Invoice__c"], {
        label: "Parent ID",
        nillable: false,
        updateable: false,
        relationshipName: "Parent",
      }),
      text("Name", 255, { label: "File Name", nillable: false, nameField: true }),
      checkbox("IsPrivate", { label: "Private" }),
      text("ContentType", 120, { label: "Content Type" }),
      derived(integer("BodyLength", 18, { label: "Body Length" }), (row) => {
        const body = row.get("Body");
        return typeof body === "string" ? Buffer.from(body, "base64").length : null;
      }),
      base64("Body"),
      textarea("Description", 500),
    ],
    { bulkQuerySupported: false },
  );
}

/** Field history: CreatedDate only, no SystemModstamp or LastModifiedDate, read-only through the API. */
export function accountHistoryObject(): ObjectDef {
  return object(
    "AccountHistory",
    "017",
    [
      ...systemFields("Account History", { createdOnly: true }),
      reference("AccountId", ["Account"], { label: "Account ID", ...readOnly, nillable: false }),
      picklist("Field", ["created", "Name", "Industry", "Rating", "Type", "AnnualRevenue", "Owner"], {
        label: "Changed Field",
        ...readOnly,
        nillable: false,
      }),
      picklist("DataType", ["Text", "Picklist", "Currency", "EntityId", "DateOnly"], {
        label: "Data Type",
        ...readOnly,
      }),
      field("anyType", "OldValue", {
        label: "Old Value",
        ...readOnly,
        filterable: false,
        sortable: false,
        groupable: false,
      }),
      field("anyType", "NewValue", {
        label: "New Value",
        ...readOnly,
        filterable: false,
        sortable: false,
        groupable: false,
      }),
    ],
    {
      label: "Account History",
      labelPlural: "Account History",
      createable: false,
      updateable: false,
      deletable: false,
      undeletable: false,
      searchable: false,
      triggerable: false,
      layoutable: false,
      replicateable: false,
    },
  );
}
