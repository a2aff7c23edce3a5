/**
 * Rows of one round's source, one item per source row: valid rows in Salesforce's CSV value form,
 * invalid ones with the reason. `index` is the row's position in the source (0-based, data rows
 * only), so a run that continues in a later invocation skips exactly the rows it already handled.
 */

/** A value as Bulk ingest takes it: text, `null` for an explicit null (`#N/A`), `undefined` for "not set". */
export type SfValue = string | null | undefined;

export interface SourceRow {
  index: number;
  /** Physical line in the inbound file (0 for rows of a retry round, whose lines are not known). */
  line: number;
  values: SfValue[];
}

export interface SourceReject {
  index: number;
  line: number;
  reason: string;
  /** The row's fields as the file gave them. */
  raw: string[];
}

export type SourceItem = { ok: true; row: SourceRow } | { ok: false; reject: SourceReject };

/** Reads items one at a time from batches, with look-ahead of one (a row that does not fit a job waits). */
export class RowCursor {
  private batch: SourceItem[] = [];
  private offset = 0;
  private ended = false;
  /** Index of the next row not yet taken. */
  position: number;

  constructor(
    private readonly batches: AsyncIterator<SourceItem[]>,
    start: number,
  ) {
    this.position = start;
  }

  async peek(): Promise<SourceItem | undefined> {
    while (this.offset >= this.batch.length) {
      if (this.ended) return undefined;
      const next = await this.batches.next();
      if (next.done) {
        this.ended = true;
        return undefined;
      }
      this.batch = next.value;
      this.offset = 0;
    }
    return this.batch[this.offset];
  }

  /** Take the item `peek` returned. */
  take(): SourceItem {
    const item = this.batch[this.offset++];
    if (item === undefined) throw new Error("RowCursor.take without a peeked item");
    this.position = (item.ok ? item.row.index : item.reject.index) + 1;
    return item;
  }

  /** The next valid row, passing over invalid ones (they were reported when the file was validated). */
  async nextValid(): Promise<SourceRow | undefined> {
    for (;;) {
      const item = await this.peek();
      if (item === undefined) return undefined;
      this.take();
      if (item.ok) return item.row;
    }
  }

  /** The next valid row without taking it (invalid rows before it are taken). */
  async peekValid(): Promise<SourceRow | undefined> {
    for (;;) {
      const item = await this.peek();
      if (item === undefined) return undefined;
      if (item.ok) return item.row;
      this.take();
    }
  }

  async exhausted(): Promise<boolean> {
    return (await this.peekValid()) === undefined;
  }

  async close(): Promise<void> {
    await this.batches.return?.();
  }
}
