/**
 * The catalog: what discover learned about each Salesforce object (a "stream"), written to S3 and
 * read by extract and load. Field types are Salesforce's describe types; `json` says how a value
 * appears in the JSON lines the connector writes.
 */

export type JsonSchemaType = "string" | "number" | "integer" | "boolean" | "object";
export type JsonFormat = "date" | "date-time" | "time" | "byte";

export interface CatalogField {
  name: string;
  /** The describe `type`: id, string, picklist, reference, int, double, datetime, address, … */
  sfType: string;
  json: { type: JsonSchemaType; format?: JsonFormat };
  nullable: boolean;
  calculated: boolean;
  /** The compound field (address / location) this field is a component of, if any. */
  compoundParent?: string;
  filterable: boolean;
  createable: boolean;
  updateable: boolean;
  externalId: boolean;
  idLookup: boolean;
  unique: boolean;
  length?: number;
  precision?: number;
  scale?: number;
  /** Restricted picklists: the active values a load may write. */
  picklistValues?: string[];
  restrictedPicklist?: boolean;
  referenceTo?: string[];
  relationshipName?: string;
}

export type SyncMode = "full_refresh" | "incremental";
export type ExtractApi = "bulk" | "rest";

export interface CatalogStream {
  object: string;
  label: string;
  custom: boolean;
  primaryKey: ["Id"];
  /** SystemModstamp, LastModifiedDate or CreatedDate when present and filterable; else null. */
  cursorField: string | null;
  syncModes: SyncMode[];
  api: ExtractApi;
  /** Why REST was chosen over Bulk 2.0, when it was. */
  apiReason?: string;
  /** Whether the object has IsDeleted, so queryAll brings deleted rows. */
  hasIsDeleted: boolean;
  /** Every field, as described. */
  fields: CatalogField[];
  /** The fields extract selects, in order (for Bulk: compound fields replaced by their components). */
  selectFields: string[];
}

export interface Catalog {
  connection: string;
  apiVersion: string;
  version: number;
  discoveredAt: string;
  streams: CatalogStream[];
}
