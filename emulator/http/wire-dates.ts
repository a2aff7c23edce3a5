/**
 * The two datetime spellings Salesforce uses on the wire: REST/SOAP JSON (`2011-07-07T00:37:00.000+0000`,
 * no colon in the offset) and Bulk API 2.0 CSV (`2024-04-16T19:00:00.000Z`).
 */
export function restDateTime(epochMs: number): string {
  return `${new Date(epochMs).toISOString().slice(0, 23)}+0000`;
}

export function bulkDateTime(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

/** The HTTP `Date` header value for an instant. */
export function httpDate(epochMs: number): string {
  return new Date(epochMs).toUTCString();
}
