/**
 * A stream's lake columns, in one place for both engines: the Salesforce field names lower-cased (Glue
 * and Athena names are lower case; Salesforce names are letters, digits and `_`, unique whatever the
 * case) and their types from the catalog: lakeTypeOf is the one mapping from Salesforce types, used by
 * the Parquet parts extract writes and by both engines' DDL. Each type is spelled so that Athena's DDL,
 * Trino and DuckDB all accept it (`string`, `int`, `bigint`, `decimal(18,2)`, `timestamp`…).
 */
import type { CatalogField, CatalogStream } from "../catalog";
import type { LakeColumnType } from "./athena-requests";

/**
 * A lake column's type, one per kind of Salesforce value: what the Parquet parts hold (see
 * functions/core/formats/extract/parquet-schema.ts) and what the tables declare (`athenaType`).
 */
export type LakeType =
  | { kind: "string" }
  | { kind: "boolean" }
  | { kind: "int" }
  | { kind: "bigint" }
  | { kind: "double" }
  | { kind: "decimal"; precision: number; scale: number }
  | { kind: "date" }
  | { kind: "timestamp" };

/** A lake column: its lower-case name and type, and the field it holds. */
export interface LakeColumn extends LakeColumnType {
  /** The Salesforce field name (the key in a JSON-lines part). */
  field: string;
  sfType: string;
  type: LakeType;
  /**
   * A formula (calculated) field: Salesforce may return more decimals than its scale, which the
   * Parquet parts round half-even to the scale; any other field's value must fit its type.
   */
  calculated: boolean;
}

/** The change log's column naming the run a row landed in (Parquet parts carry it). */
export const RUN_ID_COLUMN = "_run_id";

/**
 * The change log's column saying how a row was found when not by the run's query (null): `getDeleted`
 * for a delete the org's delete log reported (Id, IsDeleted and the deleted date as the cursor; every
 * other column null); `reconcile` for a delete Id reconciliation found (an Id the current-state table
 * holds but the org's Id snapshot lacks; dated by the snapshot); `refetch` for a whole row fetched again
 * by Id because the table lacked it; `formula` and `backfill` for a *partial* row: `Id` and only the
 * fields its pass read (the formula fields due, or fields new since the last run), whose part holds
 * only those columns (the commit pointer lists them; the merge updates only them). A row with an origin
 * is in a part of its own, so the column is constant per part.
 */
export const ORIGIN_COLUMN = "_origin";

/** How change rows were found, besides the query: see ORIGIN_COLUMN. */
export type RowOrigin = "getDeleted" | "reconcile" | "refetch" | "formula" | "backfill";

/** The origins of dated delete rows: they delete only a version the table holds from before them. */
export const DELETE_ORIGINS: readonly RowOrigin[] = ["getDeleted", "reconcile"];

/** The origins of partial rows: they update their pass's columns of a record the table holds, nothing else. */
export const PARTIAL_ORIGINS: readonly RowOrigin[] = ["formula", "backfill"];

/** Athena and Trino decimals hold at most 38 digits. */
export const MAX_DECIMAL_PRECISION = 38;

export function lakeColumnName(field: string): string {
  return field.toLowerCase();
}

/** What lakeTypeOf reads from a catalog field. */
export type LakeTypedField = Pick<CatalogField, "sfType" | "precision" | "scale">;

/**
 * The one mapping from Salesforce types to lake types:
 * - boolean → boolean; int → int (32 bits); long → bigint;
 * - double, currency, percent with a precision → decimal(precision, scale) (precision at most 38, scale
 *   at most the precision; a scale the catalog leaves out is 0); without one, and the latitude and
 *   longitude of a location, → double;
 * - date → date; datetime → timestamp (UTC, milliseconds);
 * - everything else → string: ids, references, text, picklists, e-mail, phone, url, combobox,
 *   encrypted strings, address components, times, anyType, and base64 (landed as its blob URL).
 */
export function lakeTypeOf(field: LakeTypedField, options: { locationComponent?: boolean } = {}): LakeType {
  switch (field.sfType) {
    case "boolean":
      return { kind: "boolean" };
    case "int":
      return { kind: "int" };
    case "long":
      return { kind: "bigint" };
    case "double":
    case "currency":
    case "percent": {
      if (options.locationComponent) return { kind: "double" };
      // Describe gives every number field a precision and a scale; the catalog leaves a scale of 0 out.
      if (field.precision === undefined || field.precision <= 0) return { kind: "double" };
      const precision = Math.min(field.precision, MAX_DECIMAL_PRECISION);
      return { kind: "decimal", precision, scale: Math.max(0, Math.min(field.scale ?? 0, precision)) };
    }
    case "date":
      return { kind: "date" };
    case "datetime":
      return { kind: "timestamp" };
    default:
      return { kind: "string" };
  }
}

/** A lake type as Athena's DDL (and Trino and DuckDB) spell it: `decimal(18,2)`, `int`, `timestamp`… */
export function athenaTypeOf(type: LakeType): string {
  return type.kind === "decimal" ? `decimal(${type.precision},${type.scale})` : type.kind;
}

/** A field's SQL type (see lakeTypeOf). */
export function lakeType(field: LakeTypedField, options: { locationComponent?: boolean } = {}): string {
  return athenaTypeOf(lakeTypeOf(field, options));
}

/** What lakeColumns reads from a stream. */
export type LakeStream = Pick<CatalogStream, "fields" | "selectFields" | "lakeTypes" | "hashFields">;

/**
 * The column of a field whose lake type is not its column's first type: `<name>__<type>`, e.g.
 * `amount__c__decimal_18_4`. No Salesforce field name ends that way (a double underscore only comes
 * before a suffix such as `__c`, `__s` or `__r`), so it never meets a real field's column.
 */
export function retypedColumnName(field: string, athenaType: string): string {
  const tag = athenaType
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/_+$/, "");
  return `${lakeColumnName(field)}__${tag}`;
}

function fieldTypes(
  stream: Pick<CatalogStream, "fields" | "selectFields" | "hashFields">,
): Map<string, LakeType> {
  const byName = new Map(stream.fields.map((field) => [field.name, field]));
  // A hashed field (settings hashFields) lands as its hash: a string, whatever its Salesforce type.
  const hashed = new Set(stream.hashFields ?? []);
  const types = new Map<string, LakeType>();
  for (const name of stream.selectFields) {
    if (hashed.has(name)) {
      types.set(name, { kind: "string" });
      continue;
    }
    const field = byName.get(name);
    const parent = field?.compoundParent === undefined ? undefined : byName.get(field.compoundParent);
    types.set(
      name,
      lakeTypeOf(field ?? { sfType: "string" }, { locationComponent: parent?.sfType === "location" }),
    );
  }
  return types;
}

/**
 * Every field's first lake type, as this stream version knows it: the recorded ones (`lakeTypes`), and
 * for every other selected field its current type.
 */
function firstLakeTypes(stream: LakeStream): Map<string, string> {
  const first = new Map(Object.entries(stream.lakeTypes ?? {}));
  for (const [name, type] of fieldTypes(stream)) if (!first.has(name)) first.set(name, athenaTypeOf(type));
  return first;
}

/**
 * The rule for retyped fields: a column keeps the type it was created with, for ever, so that every
 * part ever written holds one type under one column name and older partitions always read (Athena
 * cannot read a Parquet column as another type, bar int → bigint). A field whose lake type changes
 * (Number(18,0) → Number(18,2), Text → Number…) lands in a new column `<name>__<type>`
 * (retypedColumnName); the first column keeps the older values, like a removed field's. A field that
 * goes back to its first type lands in its first column again.
 *
 * Discover carries the memory from each stream version to the next: the first types of the fields
 * whose type differs now, and of the fields that left the stream (so one that comes back with another
 * type does not reuse the column). Undefined when there is nothing to remember.
 */
export function carryLakeTypes(previous: LakeStream, next: LakeStream): Record<string, string> | undefined {
  const first = firstLakeTypes(previous);
  const current = fieldTypes(next);
  const kept: Record<string, string> = {};
  for (const [name, type] of first) {
    const now = current.get(name);
    if (now === undefined || athenaTypeOf(now) !== type) kept[name] = type;
  }
  return Object.keys(kept).length === 0 ? undefined : kept;
}

/** The stream's lake columns in its select order: the current-state table's schema. */
export function lakeColumns(stream: LakeStream): LakeColumn[] {
  const byName = new Map(stream.fields.map((field) => [field.name, field]));
  const pinned = stream.lakeTypes ?? {};
  return [...fieldTypes(stream)].map(([name, type]) => {
    const field = byName.get(name);
    const athenaType = athenaTypeOf(type);
    const first = pinned[name];
    return {
      name:
        first === undefined || first === athenaType
          ? lakeColumnName(name)
          : retypedColumnName(name, athenaType),
      athenaType,
      field: name,
      sfType: field?.sfType ?? "string",
      type,
      calculated: field?.calculated ?? false,
    };
  });
}

/** The change log's data columns: the stream's columns and the run id (partition columns apart). */
export function changeLogColumns(stream: LakeStream): LakeColumnType[] {
  return [
    ...lakeColumns(stream).map(({ name, athenaType }) => ({ name, athenaType })),
    { name: RUN_ID_COLUMN, athenaType: "string" },
    { name: ORIGIN_COLUMN, athenaType: "string" },
  ];
}
