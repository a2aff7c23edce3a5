/**
 * The contract between the emulator's org (data model, SOQL, DML: `emulator/org`, `emulator/soql`)
 * and its HTTP front (`emulator/http`). The org knows nothing of HTTP, JSON wire formats or CSV; the
 * HTTP layer knows nothing of how records are stored.
 */

/** Salesforce field types the emulator models (the `type` key of a describe field). */
export type FieldType =
  | "id"
  | "string"
  | "textarea"
  | "picklist"
  | "multipicklist"
  | "combobox"
  | "reference"
  | "boolean"
  | "int"
  | "long"
  | "double"
  | "currency"
  | "percent"
  | "date"
  | "datetime"
  | "time"
  | "email"
  | "phone"
  | "url"
  | "base64"
  | "address"
  | "location"
  | "encryptedstring"
  | "anyType";

export interface PicklistValue {
  value: string;
  label: string;
  active: boolean;
  defaultValue: boolean;
  validFor: null;
}

/** One field of an sObject describe, with the keys a real describe returns (and that clients read). */
export interface FieldDef {
  name: string;
  label: string;
  type: FieldType;
  /** SOAP type, e.g. `tns:ID`, `xsd:string`, `xsd:double`, `xsd:dateTime`, `urn:address`. */
  soapType: string;
  length: number;
  byteLength: number;
  precision: number;
  scale: number;
  digits: number;
  nillable: boolean;
  createable: boolean;
  updateable: boolean;
  calculated: boolean;
  calculatedFormula: string | null;
  autoNumber: boolean;
  externalId: boolean;
  idLookup: boolean;
  unique: boolean;
  caseSensitive: boolean;
  compoundFieldName: string | null;
  filterable: boolean;
  sortable: boolean;
  groupable: boolean;
  defaultedOnCreate: boolean;
  custom: boolean;
  nameField: boolean;
  htmlFormatted: boolean;
  deprecatedAndHidden: boolean;
  picklistValues: PicklistValue[];
  restrictedPicklist: boolean;
  referenceTo: string[];
  relationshipName: string | null;
}

/** One sObject: the describeGlobal keys plus its fields and emulator-only behaviour flags. */
export interface ObjectDef {
  name: string;
  label: string;
  labelPlural: string;
  keyPrefix: string;
  custom: boolean;
  queryable: boolean;
  retrieveable: boolean;
  replicateable: boolean;
  createable: boolean;
  updateable: boolean;
  deletable: boolean;
  undeletable: boolean;
  searchable: boolean;
  triggerable: boolean;
  layoutable: boolean;
  fields: FieldDef[];
  /** Emulator-only: false for objects Bulk API 2.0 query refuses (the job ends `Failed`). */
  bulkQuerySupported: boolean;
}

/**
 * A stored value in canonical form (never a wire format):
 * - id, reference: the 18-character Id;
 * - string-like types (string, textarea, picklist, combobox, email, phone, url, encryptedstring,
 *   base64 as base64 text): string; multipicklist: values joined by `;`;
 * - boolean: boolean; int, long, double, currency, percent: number;
 * - date: `YYYY-MM-DD`; time: `HH:mm:ss.SSSZ`; datetime: epoch milliseconds (number, UTC);
 * - address, location: never stored, computed from their component fields;
 * - null for no value.
 */
export type Value = string | number | boolean | null;

/** A compound value (address / location) as computed from components for REST JSON output. */
export type CompoundValue = Record<string, string | number | null>;

/** One selected column, in SELECT order. */
export interface Column {
  /** The column as Bulk API writes it in the CSV header, e.g. `Name`, `Owner.Name`. */
  name: string;
  /** Relationship path then field name, e.g. `["Owner", "Name"]`; `["Name"]` for a plain field. */
  path: string[];
  /** The describe of the final field. */
  field: FieldDef;
}

/** One result row: the record's Id (always, even when not selected) and values in column order. */
export interface ResultRow {
  id: string;
  /** For compound fields (address, location) the value is a CompoundValue; otherwise a Value. */
  values: Array<Value | CompoundValue>;
}

export interface QueryResult {
  object: string;
  columns: Column[];
  /** Number of matching rows (the REST `totalSize`). */
  totalSize: number;
  /** Rows in result order (ORDER BY, else insertion order). Iterating twice yields the same rows. */
  rows(): Iterable<ResultRow>;
  /** `SELECT COUNT()`: no columns and no rows, only `totalSize`. */
  countOnly?: true;
}

export interface QueryOptions {
  /** queryAll: include soft-deleted rows (recycle bin, `IsDeleted = true`). */
  includeDeleted: boolean;
}

export interface DmlError {
  statusCode: string;
  message: string;
  fields: string[];
}

export interface DmlResult {
  id: string | null;
  success: boolean;
  /** Upsert only: true when the row was inserted. Insert: true on success. */
  created?: boolean;
  errors: DmlError[];
}

/**
 * How DML input values are encoded:
 * - `json`: REST / sObject Collections. Typed JSON values; `null` clears a field.
 * - `csv`: Bulk API 2.0 ingest. Every value a string; `#N/A` sets null; an empty string leaves the
 *   field unchanged on update and is null on insert.
 */
export type InputFormat = "json" | "csv";

/**
 * DML input: field name → value. Relationship columns (`Account.ERP_Id__c`) resolve the parent by
 * that external id field. `Id` names the record on update and delete.
 */
export type DmlInput = Record<string, unknown>;

/**
 * Thrown by `Org.query` and schema lookups with a Salesforce error code, for the HTTP layer to render
 * (`MALFORMED_QUERY`, `INVALID_FIELD`, `INVALID_TYPE` (unknown object), `NOT_FOUND`, ...).
 */
export class OrgError extends Error {
  override readonly name = "OrgError";
  constructor(
    readonly errorCode: string,
    message: string,
    readonly fields: string[] = [],
  ) {
    super(message);
  }
}

export interface Clock {
  /** The org's current time, epoch ms. */
  now(): number;
  /** Set the org's time. `frozen: true` stops it (every write gets the same timestamp). */
  set(epochMs: number, options?: { frozen?: boolean }): void;
  /** Move the org's time forward (or back, with a negative number). */
  advance(ms: number): void;
  /** Let time run again from where it stands. */
  unfreeze(): void;
}

/** One entry of an object's delete log, as getDeleted answers it. */
export interface DeletedRecord {
  id: string;
  /** When the record was deleted (epoch ms, org clock). */
  deletedDate: number;
}

/** The answer to getDeleted (REST `sobjects/{Object}/deleted/`), datetimes as epoch ms. */
export interface GetDeletedResult {
  deletedRecords: DeletedRecord[];
  /** From this instant (a whole minute) on, the log is complete; a start before it is refused. */
  earliestDateAvailable: number;
  /** The last whole minute the answer covers: the next call's start. */
  latestDateCovered: number;
}

/** Test-facing knobs of the delete log. */
export interface DeleteLogSettings {
  /** More matching entries than this and getDeleted fails with EXCEEDED_ID_LIMIT (Salesforce: 600,000). */
  maxIds: number;
  /**
   * How far latestDateCovered stays behind the org clock (default 0: the last whole minute), as a
   * long-running transaction elsewhere on the instance holds it back in a real org.
   */
  coverageLagMs: number;
}

export interface GenerateOptions {
  /** Seed of the deterministic value generator (default: the org's seed). */
  seed?: number;
  /** Spread of CreatedDate/SystemModstamp: rows get timestamps between these (epoch ms). */
  from?: number;
  to?: number;
}

export interface Org {
  readonly orgId: string;
  readonly clock: Clock;
  /**
   * Added by the org implementation: the running (integration) user's Id, which DML stamps in
   * CreatedById / LastModifiedById and defaults OwnerId to. The HTTP layer can name it in the OAuth
   * identity URL so both agree.
   */
  readonly userId?: string;

  // --- schema --------------------------------------------------------------------------------
  /** All objects, in a stable order (describeGlobal). */
  listObjects(): ObjectDef[];
  /** One object, case-insensitive name; throws OrgError `NOT_FOUND` when unknown. */
  describe(objectName: string): ObjectDef;
  /** Add a custom object at run time (schema evolution). System fields are added for it. */
  addObject(def: Partial<ObjectDef> & { name: string }): ObjectDef;
  /**
   * Add a field at run time (schema evolution); existing rows read null for it, or the value given
   * for their Id in `values` (JSON-typed, checked against the field's type): a field an integration
   * user is newly granted access to arrives with values, and the rows' SystemModstamp stays put.
   */
  addField(
    objectName: string,
    field: Partial<FieldDef> & { name: string; type: FieldType },
    options?: { values?: Record<string, unknown> },
  ): FieldDef;
  /** Remove a field at run time; queries naming it then get INVALID_FIELD. */
  removeField(objectName: string, fieldName: string): void;

  // --- reads ---------------------------------------------------------------------------------
  /** Parse and run a SOQL query. Throws OrgError (`MALFORMED_QUERY`, `INVALID_FIELD`, `INVALID_TYPE`). */
  query(soql: string, options: QueryOptions): QueryResult;
  /** One record's stored values by Id (all fields), or undefined. `includeDeleted` sees the bin. */
  get(
    objectName: string,
    id: string,
    options?: { includeDeleted?: boolean },
  ): Record<string, Value> | undefined;
  /** Number of live (and, with includeDeleted, deleted) rows of an object. */
  count(objectName: string, options?: { includeDeleted?: boolean }): number;

  // --- DML (each validates like Salesforce and maintains system fields) -----------------------
  insert(objectName: string, input: DmlInput, format: InputFormat): DmlResult;
  update(objectName: string, input: DmlInput, format: InputFormat): DmlResult;
  upsert(objectName: string, externalIdField: string, input: DmlInput, format: InputFormat): DmlResult;
  /**
   * Soft delete: the row moves to the recycle bin (IsDeleted = true, visible to queryAll) for 15 days
   * of org time, then is gone. An object without a recycle bin (`undeletable: false`, or no IsDeleted
   * field) loses the row at once. Either way the delete log records it.
   */
  delete(objectName: string, id: string): DmlResult;
  /** Delete without the recycle bin: gone from queryAll too; the delete log records it. */
  hardDelete(objectName: string, id: string): DmlResult;
  /**
   * Take back an insert that an allOrNone request rolled back: the row goes as if it had never been
   * committed, without a delete log entry.
   */
  undoInsert(objectName: string, id: string): void;

  // --- replication ---------------------------------------------------------------------------
  /**
   * The object's delete log between `start` and `end` (epoch ms; seconds are ignored). Throws OrgError
   * `INVALID_REPLICATION_DATE` (range shorter than a minute, or start before earliestDateAvailable),
   * `EXCEEDED_ID_LIMIT`, `INVALID_TYPE` (object not replicateable), `NOT_FOUND` (unknown object).
   */
  getDeleted(objectName: string, start: number, end: number): GetDeletedResult;

  // --- test-facing controls ------------------------------------------------------------------
  /**
   * Add `count` rows of an object quickly with deterministic values (the benchmarks need 1,000,000
   * rows of ~40 fields). Generated rows may be computed on read rather than stored.
   */
  generate(objectName: string, count: number, options?: GenerateOptions): void;
  /**
   * Touch records: bump LastModifiedDate and SystemModstamp to `at` (default: clock.now()). `at` in
   * the past simulates a row committed late with an earlier timestamp.
   */
  touch(objectName: string, ids: string[], options?: { at?: number }): void;
  /**
   * Make DML on these Ids fail with `UNABLE_TO_LOCK_ROW` for the next `times` attempts each
   * (default 1).
   */
  lockRows(ids: string[], times?: number): void;
  /**
   * Empty the recycle bin of one object, or of every object: its rows leave queryAll, and the delete
   * log of each object emptied keeps nothing from before this instant (earliestDateAvailable moves
   * up to it). Returns how many rows left the bin.
   */
  emptyRecycleBin(objectName?: string): { emptied: number; at: number };
  /** Read, and with `changes` set, the delete log's knobs (the Id limit, the coverage lag). */
  deleteLogSettings(changes?: Partial<DeleteLogSettings>): DeleteLogSettings;
}
