/**
 * Bulk API 2.0 query results (CSV) → a LakeBatch (typed columns for a Parquet row group), on bytes.
 *
 * The sibling of BulkCsvToJsonl for Parquet parts, reading pages through the same BulkCsvScanner:
 * each field of a complete row is handed to its column as bytes, which checks and stores it. Nothing
 * is made per field but the column's stored value.
 */
import type { LakeColumn } from "../../lake/lake-names";
import { BulkCsvScanner, type BulkRowWriter, DOUBLED_QUOTES } from "./bulk-csv-scanner";
import type { BatchColumn, LakeBatch } from "./lake-batch";

export class BulkCsvToColumns implements BulkRowWriter {
  private readonly scanner: BulkCsvScanner;
  private readonly columns: BatchColumn[];
  private readonly types: string[];
  /** The batch's last columns, which the CSV lacks: one value for every row, as UTF-8. */
  private readonly constants: Uint8Array[];

  /**
   * @param object     named in error messages
   * @param batch      where rows go; the caller writes it out as a row group and resets it between pushes
   * @param constants  values of the batch's last columns, the same for every row (by field name): the
   *                   CSV holds the columns before them
   */
  constructor(
    object: string,
    columns: LakeColumn[],
    private readonly batch: LakeBatch,
    constants: Record<string, string> = {},
  ) {
    const fromCsv = columns.filter((column) => !(column.field in constants));
    this.scanner = new BulkCsvScanner(
      object,
      fromCsv.map((column) => column.field),
      this,
    );
    this.columns = batch.columns;
    this.types = columns.map((column) => `${column.sfType} → ${column.athenaType}`);
    const encoder = new TextEncoder();
    this.constants = columns.slice(fromCsv.length).map((column) => {
      const value = constants[column.field];
      if (value === undefined) {
        throw new Error(`${object}: column ${column.field} is neither in the CSV nor a constant`);
      }
      return encoder.encode(value);
    });
  }

  /** Rows converted so far, over all pages. */
  get records(): number {
    return this.scanner.records;
  }

  /** Rows of the current page so far (or of the page just ended, until the next push). */
  get pageRecords(): number {
    return this.scanner.pageRecords;
  }

  /** Feeds the next chunk of one result page: its complete rows go into the batch. */
  push(chunk: Uint8Array): void {
    this.scanner.push(chunk);
  }

  /** End of one page: its last row goes into the batch; throws DataError on a truncated page. */
  endPage(): void {
    this.scanner.endPage();
  }

  writeRow(buf: Uint8Array): void {
    const { starts, ends, marks } = this.scanner;
    const columns = this.columns;
    const fromCsv = columns.length - this.constants.length;
    for (let c = fromCsv; c < columns.length; c++) {
      const value = this.constants[c - fromCsv] as Uint8Array;
      const problem = (columns[c] as BatchColumn).push(value, 0, value.length, false);
      if (problem !== undefined) throw this.scanner.valueError(c, this.types[c] as string, problem);
    }
    for (let c = 0; c < fromCsv; c++) {
      const column = columns[c] as BatchColumn;
      const problem = column.push(
        buf,
        starts[c] as number,
        ends[c] as number,
        ((marks[c] as number) & DOUBLED_QUOTES) !== 0,
      );
      if (problem !== undefined) throw this.scanner.valueError(c, this.types[c] as string, problem);
    }
    this.batch.endRow();
  }
}
