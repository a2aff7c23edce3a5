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

  /**
   * @param object  named in error messages
   * @param batch   where rows go; the caller writes it out as a row group and resets it between pushes
   */
  constructor(
    object: string,
    columns: LakeColumn[],
    private readonly batch: LakeBatch,
  ) {
    this.scanner = new BulkCsvScanner(
      object,
      columns.map((column) => column.field),
      this,
    );
    this.columns = batch.columns;
    this.types = columns.map((column) => `${column.sfType} → ${column.athenaType}`);
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
    for (let c = 0; c < columns.length; c++) {
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
