// functions/core/formats/load/: files → Salesforce: CSV and JSON-lines readers, value checks
/**
 * What the load direction reads from a user's file, whatever its format: a header (field API names,
 * relationship columns like `Account.ERP_Id__c`) and rows in batches. Whole-file problems (not a CSV,
 * not UTF-8, an unterminated quote, …) are thrown as `DataError` with line and column; problems of
 * one row are returned as `RejectedRow`s so the caller can report that row and go on.
 */

export interface InboundRow<V> {
  /** Physical line (1-based) where the row starts. */
  line: number;
  /** Values by column position in the header; a value past the end of the array was not given. */
  values: V[];
}

export interface RejectedRow {
  line: number;
  /** 1-based field position (CSV) or the key (JSON lines), when the problem is in one field. */
  column?: number | string;
  /** What is wrong and how to fix it. */
  message: string;
  /** The row as it was written (for a rejected-rows report). */
  text: string;
}

export interface InboundBatch<V> {
  rows: InboundRow<V>[];
  rejected: RejectedRow[];
  /**
   * The header the rows' values line up with. For CSV it never changes; JSON lines add a column the
   * first time a line uses a new key, so a later batch may carry a longer header.
   */
  header: readonly string[];
}

export interface InboundReader<V> {
  /** The header: read from the first row (CSV) or the first object (JSON lines). */
  header(): Promise<string[]>;
  /** Every row, in file order, in batches. Can be iterated once. */
  rows(): AsyncIterable<InboundBatch<V>>;
}

/**
 * A JSON lines value: strings, booleans and null as they are; numbers as numbers when a double holds
 * them exactly, else as the digits written (`"12345678901234567890"`) so no precision is lost; `undefined`
 * when the line has no such key (the field is not set).
 */
export type JsonlValue = string | number | boolean | null | undefined;
