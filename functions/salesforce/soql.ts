import { ConfigurationError } from "../errors";

/**
 * Salesforce API names are a letter followed by letters, digits and underscores (`Account`,
 * `Invoice__c`, `ns__Thing__c`). Anything else (spaces, quotes, operators) is refused before it can
 * reach a query, so a configured name can never inject SOQL.
 */
const API_NAME = /^[A-Za-z][A-Za-z0-9_]{0,119}$/;

export function assertApiName(name: string, what: "object" | "field"): string {
  if (typeof name !== "string" || !API_NAME.test(name)) {
    throw new ConfigurationError(
      `${JSON.stringify(String(name).slice(0, 80))} is not a valid Salesforce ${what} API name (letters, digits and underscores, e.g. Account or Invoice__c).`,
      what === "object" ? { object: String(name) } : { field: String(name) },
    );
  }
  return name;
}

/** A SOQL datetime literal for an instant, whole seconds in UTC (windows are aligned to seconds). */
export function soqlDateTime(epochMs: number): string {
  return new Date(Math.floor(epochMs / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

export interface WindowClause {
  field: string;
  /** Inclusive lower bound (epoch ms), absent for "from the beginning". */
  start?: number;
  /** Exclusive upper bound (epoch ms). */
  end: number;
}

/** `SELECT f1, f2 FROM Object [WHERE field >= start AND field < end]` with every name checked. */
export function buildSelect(object: string, fields: string[], window?: WindowClause): string {
  assertApiName(object, "object");
  if (fields.length === 0) throw new ConfigurationError(`No fields to select from ${object}.`, { object });
  for (const field of fields) assertApiName(field, "field");
  let soql = `SELECT ${fields.join(", ")} FROM ${object}`;
  if (window) {
    assertApiName(window.field, "field");
    const conditions: string[] = [];
    if (window.start !== undefined) conditions.push(`${window.field} >= ${soqlDateTime(window.start)}`);
    conditions.push(`${window.field} < ${soqlDateTime(window.end)}`);
    soql += ` WHERE ${conditions.join(" AND ")}`;
  }
  return soql;
}
