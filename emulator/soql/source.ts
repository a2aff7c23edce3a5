import type { ObjectDef, Value } from "../org/types";

/** One row as the query engine sees it. */
export interface QueryRow {
  readonly id: string;
  get(field: string): Value;
}

/** What the SOQL engine needs from the org: schema, a scan of an object's rows and Id lookup. */
export interface QuerySource {
  /** An object by name, case-insensitive. */
  findObject(name: string): ObjectDef | undefined;
  /**
   * The rows of an object as they stand now: the returned function may be called several times and
   * yields the same rows each time (rows inserted after the call are left out).
   */
  open(objectName: string, includeDeleted: boolean): () => Iterable<QueryRow>;
  /** A live row of any object by canonical Id (for relationship paths). */
  findRow(id18: string): QueryRow | undefined;
  /** The org's current time (epoch ms), for TODAY and the other relative date literals. */
  now(): number;
}
