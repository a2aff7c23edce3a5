/**
 * Storage of one object's rows. Rows live in segments in insertion (counter) order: runs of stored
 * rows, and generated ranges whose values are computed from the row index on read, so a million
 * generated rows cost a few closures rather than a million objects. Writing to a generated row
 * stores an override for it. Unique and external-id values are indexed on first use.
 */
import { makeId, parseId } from "./ids";
import type { Value } from "./types";

export interface Row {
  readonly counter: number;
  readonly id: string;
  /** A field's value by canonical name; computed fields are computed, missing fields read null. */
  get(field: string): Value;
}

/** Computes a value for a row on read (formulas, derived fields); undefined when `field` is stored. */
export type ReadHook = (row: Row, field: string) => Value | undefined;

/** Values of one generated field by row index. */
export type ValueGenerator = (index: number) => Value;

export class StoredRow implements Row {
  constructor(
    private readonly table: Table,
    readonly counter: number,
    readonly id: string,
    readonly values: Record<string, Value>,
  ) {}

  get(field: string): Value {
    const computed = this.table.readHook(this, field);
    if (computed !== undefined) return computed;
    return this.values[field] ?? null;
  }
}

interface RowsSegment {
  kind: "rows";
  start: number;
  rows: Map<number, StoredRow>;
}

interface GeneratedSegment {
  kind: "generated";
  start: number;
  count: number;
  generators: Map<string, ValueGenerator>;
  /** Rows written since generation, by index; null marks a hard-deleted row. */
  overrides: Map<number, StoredRow | null>;
}

type Segment = RowsSegment | GeneratedSegment;

class GeneratedRow implements Row {
  private cachedId: string | undefined;

  constructor(
    private readonly table: Table,
    private readonly segment: GeneratedSegment,
    private readonly index: number,
  ) {}

  get counter(): number {
    return this.segment.start + this.index;
  }

  get id(): string {
    if (this.cachedId === undefined) this.cachedId = this.table.idFor(this.counter);
    return this.cachedId;
  }

  get(field: string): Value {
    if (field === "Id") return this.id;
    const computed = this.table.readHook(this, field);
    if (computed !== undefined) return computed;
    const generator = this.segment.generators.get(field);
    return generator ? generator(this.index) : null;
  }
}

/** Index key of a unique value: case-insensitive unless the field says otherwise. */
export function indexKey(value: Value, caseSensitive: boolean): string | undefined {
  if (value === null) return undefined;
  if (typeof value === "string") return caseSensitive ? value : value.toLowerCase();
  return String(value);
}

export class Table {
  private readonly segments: Segment[] = [];
  private nextCounter = 1;
  private live = 0;
  private deleted = 0;
  private readonly indexes = new Map<string, { caseSensitive: boolean; keys: Map<string, Set<number>> }>();
  private lastWrite = 0;

  constructor(
    readonly keyPrefix: string,
    private readonly pod: string,
    private readonly counterBase: number,
    readonly readHook: ReadHook,
  ) {}

  idFor(counter: number): string {
    return makeId(this.keyPrefix, this.pod, this.counterBase + counter);
  }

  /** The highest counter handed out so far; rows added later have larger counters. */
  get highWater(): number {
    return this.nextCounter - 1;
  }

  /** Increases on every change, so callers can cache derived data. */
  get version(): number {
    return this.lastWrite;
  }

  count(includeDeleted: boolean): number {
    return includeDeleted ? this.live + this.deleted : this.live;
  }

  /** Append a stored row; `values` must already hold Id-independent fields. */
  insert(values: Record<string, Value>): StoredRow {
    const counter = this.nextCounter++;
    const id = this.idFor(counter);
    values.Id = id;
    const row = new StoredRow(this, counter, id, values);
    let last = this.segments[this.segments.length - 1];
    if (last?.kind !== "rows") {
      last = { kind: "rows", start: counter, rows: new Map() };
      this.segments.push(last);
    }
    last.rows.set(counter, row);
    if (values.IsDeleted === true) this.deleted++;
    else this.live++;
    this.indexRow(row, +1);
    this.lastWrite++;
    return row;
  }

  /** Append `count` rows computed on read by `generators` (field → value by index). */
  generate(count: number, generators: Map<string, ValueGenerator>): { start: number } {
    const start = this.nextCounter;
    this.nextCounter += count;
    this.segments.push({ kind: "generated", start, count, generators, overrides: new Map() });
    this.live += count;
    this.dropIndexes();
    this.lastWrite++;
    return { start };
  }

  /** A row by canonical 18-character Id, deleted or not; undefined when absent or hard-deleted. */
  find(id18: string): Row | undefined {
    const parts = parseId(id18);
    if (!parts || parts.keyPrefix !== this.keyPrefix || parts.pod !== this.pod) return undefined;
    const row = this.byCounter(parts.counter - this.counterBase);
    return row && row.id === id18 ? row : undefined;
  }

  private segmentOf(counter: number): Segment | undefined {
    let low = 0;
    let high = this.segments.length - 1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      const segment = this.segments[mid] as Segment;
      if (segment.start > counter) high = mid - 1;
      else low = mid + 1;
    }
    return this.segments[high];
  }

  private byCounter(counter: number): Row | undefined {
    if (counter < 1 || counter >= this.nextCounter) return undefined;
    const segment = this.segmentOf(counter);
    if (!segment) return undefined;
    if (segment.kind === "rows") return segment.rows.get(counter);
    const index = counter - segment.start;
    if (index >= segment.count) return undefined;
    const override = segment.overrides.get(index);
    if (override === null) return undefined;
    return override ?? new GeneratedRow(this, segment, index);
  }

  /**
   * The stored form of a row, for writing: a generated row is copied into an override with the
   * values of `fields` (the object's current schema) the first time it is written.
   */
  materialize(row: Row, fields: readonly string[]): StoredRow {
    if (row instanceof StoredRow) return row;
    const segment = this.segmentOf(row.counter);
    if (segment?.kind !== "generated") throw new Error(`row ${row.id} is not a generated row`);
    const values: Record<string, Value> = {};
    for (const name of fields) {
      const generator = segment.generators.get(name);
      values[name] = generator ? generator(row.counter - segment.start) : null;
    }
    values.Id = row.id;
    const stored = new StoredRow(this, row.counter, row.id, values);
    segment.overrides.set(row.counter - segment.start, stored);
    return stored;
  }

  /** Change stored values, keeping indexes and counts right. */
  write(row: StoredRow, changes: Record<string, Value>): void {
    const wasDeleted = row.values.IsDeleted === true;
    this.indexRow(row, -1);
    Object.assign(row.values, changes);
    const isDeleted = row.values.IsDeleted === true;
    if (wasDeleted !== isDeleted) {
      this.live += isDeleted ? -1 : 1;
      this.deleted += isDeleted ? 1 : -1;
    }
    this.indexRow(row, +1);
    this.lastWrite++;
  }

  /** Remove a row for good (hard delete, or emptying the recycle bin). */
  remove(row: Row): void {
    const segment = this.segmentOf(row.counter);
    if (!segment) return;
    if (row.get("IsDeleted") === true) this.deleted--;
    else this.live--;
    this.indexRow(row, -1);
    if (segment.kind === "rows") segment.rows.delete(row.counter);
    else segment.overrides.set(row.counter - segment.start, null);
    this.lastWrite++;
  }

  /** Forget a field: stored values and generators; a field added later with this name reads null. */
  dropField(name: string): void {
    for (const segment of this.segments) {
      if (segment.kind === "rows") {
        for (const row of segment.rows.values()) delete row.values[name];
      } else {
        segment.generators.delete(name);
        for (const row of segment.overrides.values()) if (row) delete row.values[name];
      }
    }
    this.indexes.delete(name);
    this.lastWrite++;
  }

  /**
   * Rows in insertion order. Deleted rows only with `includeDeleted`; rows added after `maxCounter`
   * are left out, so a result being paged does not shift under concurrent inserts.
   */
  *scan(includeDeleted: boolean, maxCounter = Number.POSITIVE_INFINITY): Generator<Row> {
    for (const segment of this.segments) {
      if (segment.start > maxCounter) return;
      if (segment.kind === "rows") {
        for (const row of segment.rows.values()) {
          if (row.counter > maxCounter) return;
          if (!includeDeleted && row.values.IsDeleted === true) continue;
          yield row;
        }
        continue;
      }
      const end = Math.min(segment.count, maxCounter - segment.start + 1);
      const overrides = segment.overrides;
      const isDeleted = segment.generators.get("IsDeleted");
      for (let index = 0; index < end; index++) {
        if (overrides.size > 0 && overrides.has(index)) {
          const row = overrides.get(index);
          if (!row || (!includeDeleted && row.values.IsDeleted === true)) continue;
          yield row;
          continue;
        }
        if (!includeDeleted && isDeleted && isDeleted(index) === true) continue;
        yield new GeneratedRow(this, segment, index);
      }
    }
  }

  // --- unique-value indexes -----------------------------------------------------------------------

  /** Live rows whose `field` equals `value` (per the index's case rule), by counter. */
  lookup(field: string, value: Value, caseSensitive: boolean): Row[] {
    const key = indexKey(value, caseSensitive);
    if (key === undefined) return [];
    const counters = this.indexFor(field, caseSensitive).keys.get(key);
    if (!counters) return [];
    const rows: Row[] = [];
    for (const counter of counters) {
      const row = this.byCounter(counter);
      if (row) rows.push(row);
    }
    return rows;
  }

  private indexFor(field: string, caseSensitive: boolean) {
    let index = this.indexes.get(field);
    if (!index || index.caseSensitive !== caseSensitive) {
      index = { caseSensitive, keys: new Map() };
      this.indexes.set(field, index);
      for (const row of this.scan(false)) this.addKey(index, row.get(field), row.counter);
    }
    return index;
  }

  private addKey(
    index: { caseSensitive: boolean; keys: Map<string, Set<number>> },
    value: Value,
    counter: number,
  ) {
    const key = indexKey(value, index.caseSensitive);
    if (key === undefined) return;
    let set = index.keys.get(key);
    if (!set) {
      set = new Set();
      index.keys.set(key, set);
    }
    set.add(counter);
  }

  private indexRow(row: Row, direction: 1 | -1): void {
    if (row.get("IsDeleted") === true) return;
    for (const [field, index] of this.indexes) {
      if (direction > 0) {
        this.addKey(index, row.get(field), row.counter);
      } else {
        const key = indexKey(row.get(field), index.caseSensitive);
        if (key !== undefined) index.keys.get(key)?.delete(row.counter);
      }
    }
  }

  /** Invalidate indexes (after a generate, whose values are not indexed incrementally). */
  dropIndexes(): void {
    this.indexes.clear();
  }
}
