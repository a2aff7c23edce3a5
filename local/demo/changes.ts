/**
 * What the demo changes in the demo org between its full and its incremental sync: a few inserts and
 * updates and one delete, made through the org's own DML (as any API client's would be), so the
 * incremental sync can be checked to bring exactly these rows, the delete flagged `IsDeleted`.
 */
import type { DmlResult, Org } from "../../emulator/org/types";

export interface ObjectChanges {
  inserted: string[];
  updated: string[];
  deleted: string[];
}

export type DemoChanges = Record<string, ObjectChanges>;

function idOf(result: DmlResult, what: string): string {
  if (!result.success || result.id === null) {
    throw new Error(`The demo could not ${what}: ${result.errors.map((error) => error.message).join("; ")}`);
  }
  return result.id;
}

/** The first `count` live Ids of an object in a stable order (the demo org is seeded, so always the same rows). */
function existing(org: Org, object: string, orderBy: string, count: number): string[] {
  const rows = org.query(`SELECT Id FROM ${object} ORDER BY ${orderBy} LIMIT ${count}`, {
    includeDeleted: false,
  });
  const ids = [...rows.rows()].map((row) => row.id);
  if (ids.length < count) throw new Error(`The demo org has fewer than ${count} ${object} rows.`);
  return ids;
}

export function applyDemoChanges(org: Org): DemoChanges {
  const [accountA, accountB] = existing(org, "Account", "Name", 2) as [string, string];
  const [contactA, contactB] = existing(org, "Contact", "LastName, FirstName", 2) as [string, string];
  const [opportunity] = existing(org, "Opportunity", "Name", 1) as [string];

  const newAccount = idOf(
    org.insert("Account", { Name: "Saddle Supply Co.", ERP_Id__c: "ERP-80001", Industry: "Retail" }, "json"),
    "insert an Account",
  );
  const otherAccount = idOf(
    org.insert("Account", { Name: "Mesa Verde Outfitters", Industry: "Retail", Rating: "Warm" }, "json"),
    "insert an Account",
  );
  idOf(
    org.update("Account", { Id: accountA, Phone: "+1 (415) 555-0199", Rating: "Hot" }, "json"),
    "update an Account",
  );
  idOf(
    org.update("Account", { Id: accountB, Description: "Renewed for two years." }, "json"),
    "update an Account",
  );

  const newContact = idOf(
    org.insert(
      "Contact",
      { FirstName: "Ada", LastName: "Ranch", Email: "ada.ranch@example.com", AccountId: newAccount },
      "json",
    ),
    "insert a Contact",
  );
  idOf(org.update("Contact", { Id: contactA, Title: "Head of Data" }, "json"), "update a Contact");
  idOf(org.delete("Contact", contactB), "delete a Contact");

  idOf(org.update("Opportunity", { Id: opportunity, Amount: 125_000 }, "json"), "update an Opportunity");

  return {
    Account: { inserted: [newAccount, otherAccount], updated: [accountA, accountB], deleted: [] },
    Contact: { inserted: [newContact], updated: [contactA], deleted: [contactB] },
    Opportunity: { inserted: [], updated: [opportunity], deleted: [] },
  };
}

export function changedIds(changes: ObjectChanges): string[] {
  return [...changes.inserted, ...changes.updated, ...changes.deleted];
}
