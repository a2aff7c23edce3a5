import type { DescribeField, DescribeObject } from "../salesforce/describe";

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
  /**
   * The lake's memory of column types (see core/lake/lake-names.ts, carryLakeTypes): for each field
   * whose lake type today differs from the type its column was created with, or that left the stream,
   * that first type. Absent when there is none (every column has its field's current type).
   */
  lakeTypes?: Record<string, string>;
  /**
   * Fields the settings' `blockFields` block (see core/column-controls.ts): described, but never
   * selected, landed or in a table. Absent when none.
   */
  blockedFields?: string[];
  /**
   * Selected fields the settings' `hashFields` hash: landed only as HMAC-SHA-256 (hex) keyed by the
   * connection's `hashKey`, in lake columns of type string. Absent when none.
   */
  hashFields?: string[];
}

export interface Catalog {
  connection: string;
  apiVersion: string;
  version: number;
  discoveredAt: string;
  streams: CatalogStream[];
}

// ---------------------------------------------------------------------------------------------
// Building a stream from a describe, and comparing catalogs.

/** Cursor fields in order of preference: the first present, datetime and filterable wins. */
export const CURSOR_FIELDS = ["SystemModstamp", "LastModifiedDate", "CreatedDate"] as const;

/**
 * Objects Bulk API 2.0 refuses to query (Salesforce's documented list). Others that turn out to be
 * unsupported are found at run time: their Bulk job fails and extract falls back to REST.
 */
export const BULK_UNSUPPORTED_OBJECTS = new Set([
  "AcceptedEventRelation",
  "CaseStatus",
  "ContractStatus",
  "DeclinedEventRelation",
  "KnowledgeArticle",
  "KnowledgeArticleVersion",
  "KnowledgeArticleVersionHistory",
  "KnowledgeArticleViewStat",
  "KnowledgeArticleVoteStat",
  "LeadStatus",
  "OpportunityStage",
  "PartnerRole",
  "RecentlyViewed",
  "SolutionStatus",
  "TaskPriority",
  "TaskStatus",
  "UndecidedEventRelation",
  "UserRecordAccess",
]);

const COMPOUND_TYPES = new Set(["address", "location"]);

export function jsonTypeOf(sfType: string): CatalogField["json"] {
  switch (sfType) {
    case "boolean":
      return { type: "boolean" };
    case "int":
    case "long":
      return { type: "integer" };
    case "double":
    case "currency":
    case "percent":
      return { type: "number" };
    case "date":
      return { type: "string", format: "date" };
    case "datetime":
      return { type: "string", format: "date-time" };
    case "time":
      return { type: "string", format: "time" };
    case "address":
    case "location":
      return { type: "object" };
    default:
      return { type: "string" };
  }
}

function catalogField(field: DescribeField): CatalogField {
  const out: CatalogField = {
    name: field.name,
    sfType: field.type,
    json: jsonTypeOf(field.type),
    nullable: field.nillable,
    calculated: field.calculated,
    filterable: field.filterable,
    createable: field.createable,
    updateable: field.updateable,
    externalId: field.externalId,
    idLookup: field.idLookup,
    unique: field.unique,
  };
  if (field.compoundFieldName) out.compoundParent = field.compoundFieldName;
  if (field.length) out.length = field.length;
  if (field.precision) out.precision = field.precision;
  if (field.scale) out.scale = field.scale;
  const active = (field.picklistValues ?? []).filter((value) => value.active).map((value) => value.value);
  if (active.length > 0) out.picklistValues = active;
  if (field.restrictedPicklist) out.restrictedPicklist = true;
  if (field.referenceTo && field.referenceTo.length > 0) out.referenceTo = field.referenceTo;
  if (field.relationshipName) out.relationshipName = field.relationshipName;
  return out;
}

/** One catalog stream from an object's describe. */
export function buildStream(describe: DescribeObject): CatalogStream {
  const fields = describe.fields.map(catalogField);
  const byName = new Map(fields.map((field) => [field.name, field]));
  const cursorField =
    CURSOR_FIELDS.find((name) => {
      const field = byName.get(name);
      return field !== undefined && field.sfType === "datetime" && field.filterable;
    }) ?? null;
  const base64 = fields.filter((field) => field.sfType === "base64").map((field) => field.name);
  let api: CatalogStream["api"] = "bulk";
  let apiReason: string | undefined;
  if (BULK_UNSUPPORTED_OBJECTS.has(describe.name)) {
    api = "rest";
    apiReason = "Bulk API 2.0 does not support this object";
  } else if (base64.length > 0) {
    api = "rest";
    apiReason = `Bulk API 2.0 cannot query base64 fields (${base64.join(", ")})`;
  }
  // Compound fields are left out of the select list on both paths: their components are selected
  // instead, so rows have the same flat shape whichever API produced them.
  const selectFields = fields.filter((field) => !COMPOUND_TYPES.has(field.sfType)).map((field) => field.name);
  const stream: CatalogStream = {
    object: describe.name,
    label: describe.label,
    custom: describe.custom,
    primaryKey: ["Id"],
    cursorField,
    syncModes: cursorField ? ["full_refresh", "incremental"] : ["full_refresh"],
    api,
    hasIsDeleted: byName.has("IsDeleted"),
    fields,
    selectFields,
  };
  if (apiReason) stream.apiReason = apiReason;
  return stream;
}

export interface FieldChange {
  field: string;
  from: string;
  to: string;
}

export interface StreamChanges {
  object: string;
  added: string[];
  removed: string[];
  retyped: FieldChange[];
}

export interface CatalogChanges {
  objectsAdded: string[];
  objectsRemoved: string[];
  streams: StreamChanges[];
}

/** What changed between two versions of one stream's fields (names, and Salesforce types). */
export function diffStream(previous: CatalogStream, next: CatalogStream): StreamChanges {
  const before = new Map(previous.fields.map((field) => [field.name, field.sfType]));
  const after = new Map(next.fields.map((field) => [field.name, field.sfType]));
  const added = [...after.keys()].filter((name) => !before.has(name));
  const removed = [...before.keys()].filter((name) => !after.has(name));
  const retyped: FieldChange[] = [];
  for (const [name, type] of after) {
    const was = before.get(name);
    if (was !== undefined && was !== type) retyped.push({ field: name, from: was, to: type });
  }
  return { object: next.object, added, removed, retyped };
}

export function hasChanges(changes: StreamChanges): boolean {
  return changes.added.length + changes.removed.length + changes.retyped.length > 0;
}
