/**
 * A stream's lake columns, in one place for both engines: the Salesforce field names lower-cased (Glue
 * and Athena names are lower case; Salesforce names are letters, digits and `_`, unique whatever the
 * case) and their SQL types from the catalog. Each type is spelled so that Athena's DDL, Trino and
 * DuckDB all accept it (`string`, `bigint`, `decimal(18,2)`, `timestamp`…).
 */
import type { CatalogField, CatalogStream } from "../catalog";
import type { LakeColumnType } from "./athena-requests";

/** A lake column: its lower-case name and type, and the field it holds. */
export interface LakeColumn extends LakeColumnType {
  /** The Salesforce field name (the key in a JSON-lines part). */
  field: string;
  sfType: string;
}

/** The change log's column naming the run a row landed in (Parquet parts carry it). */
export const RUN_ID_COLUMN = "_run_id";

/** Athena and Trino decimals hold at most 38 digits. */
const MAX_DECIMAL_PRECISION = 38;

export function lakeColumnName(field: string): string {
  return field.toLowerCase();
}

/**
 * A field's SQL type: booleans, 64-bit integers, decimals with the field's precision and scale (a
 * double without them is a double), dates, UTC timestamps (microseconds), and strings for the rest
 * (ids, text, picklists, times, base64 blob URLs).
 */
export function lakeType(field: Pick<CatalogField, "sfType" | "precision" | "scale">): string {
  switch (field.sfType) {
    case "boolean":
      return "boolean";
    case "int":
    case "long":
      return "bigint";
    case "double":
    case "currency":
    case "percent": {
      if (field.precision === undefined || field.precision <= 0) return "double";
      const precision = Math.min(field.precision, MAX_DECIMAL_PRECISION);
      return `decimal(${precision},${Math.min(field.scale ?? 0, precision)})`;
    }
    case "date":
      return "date";
    case "datetime":
      return "timestamp";
    default:
      return "string";
  }
}

/** The stream's lake columns in its select order: the current-state table's schema. */
export function lakeColumns(stream: Pick<CatalogStream, "fields" | "selectFields">): LakeColumn[] {
  const byName = new Map(stream.fields.map((field) => [field.name, field]));
  return stream.selectFields.map((name) => {
    const field = byName.get(name) ?? { sfType: "string" };
    return { name: lakeColumnName(name), athenaType: lakeType(field), field: name, sfType: field.sfType };
  });
}

/** The change log's data columns: the stream's columns and the run id (partition columns apart). */
export function changeLogColumns(stream: Pick<CatalogStream, "fields" | "selectFields">): LakeColumnType[] {
  return [
    ...lakeColumns(stream).map(({ name, athenaType }) => ({ name, athenaType })),
    { name: RUN_ID_COLUMN, athenaType: "string" },
  ];
}
