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

/** The stream's lake columns in its select order: the current-state table's schema. */
export function lakeColumns(stream: Pick<CatalogStream, "fields" | "selectFields">): LakeColumn[] {
  const byName = new Map(stream.fields.map((field) => [field.name, field]));
  return stream.selectFields.map((name) => {
    const field = byName.get(name);
    const parent = field?.compoundParent === undefined ? undefined : byName.get(field.compoundParent);
    const type = lakeTypeOf(field ?? { sfType: "string" }, {
      locationComponent: parent?.sfType === "location",
    });
    return {
      name: lakeColumnName(name),
      athenaType: athenaTypeOf(type),
      field: name,
      sfType: field?.sfType ?? "string",
      type,
      calculated: field?.calculated ?? false,
    };
  });
}

/** The change log's data columns: the stream's columns and the run id (partition columns apart). */
export function changeLogColumns(stream: Pick<CatalogStream, "fields" | "selectFields">): LakeColumnType[] {
  return [
    ...lakeColumns(stream).map(({ name, athenaType }) => ({ name, athenaType })),
    { name: RUN_ID_COLUMN, athenaType: "string" },
  ];
}
