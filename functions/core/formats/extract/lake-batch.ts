/**
 * One row group being gathered for a Parquet part: a column per lake column, each holding its values
 * compactly (text as one byte arena, numbers in typed arrays) and checked on the way in, so a row group
 * costs about its bytes and no object per value until the writer asks for one column at a time.
 *
 * Values arrive as UTF-8 bytes (Bulk CSV fields, or REST values encoded): a value that does not fit its
 * type is refused with the reason (the caller names object, field and row). Decimals keep every digit
 * (unscaled integers, never a float); a formula field's extra decimals (Salesforce computes formulas
 * with more scale than it declares) are rounded half-even to the scale, any other field's are refused.
 */
import { type LakeColumn, type LakeType, MAX_DECIMAL_PRECISION } from "../../lake/lake-names";
import { daysFromCivil, isValidYmd, normalizeDateTime } from "../datetime-text";
import { type DecimalParts, integerDigitCount, parseDecimal, toIntegerText } from "../decimal-text";
import { type FieldHasher, fieldText, hashedText } from "./field-hash";

const QUOTE = 0x22;
const DAY_MS = 86_400_000;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
/** Typed values longer than this cannot be valid (and are not decoded whole into the message). */
const MAX_TYPED_BYTES = 400;

const decoder = new TextDecoder();

/** What a column hands the Parquet writer: one JS value per row (null for a null). */
export type ColumnValues = Array<Uint8Array | boolean | number | bigint | null>;

/** The typed arrays columns keep their values in. */
type Store = Uint8Array | Int32Array | Float64Array | BigInt64Array;

/**
 * A column's values of one row group as it stored them: typed arrays (transferable to a worker thread
 * and back), and for decimals wider than 18 digits one bigint or null per row.
 */
export interface ColumnState {
  rows: number;
  arrays: Store[];
  wide?: Array<bigint | null>;
}

/** A row group's values, column by column (LakeBatch.take). */
export interface BatchState {
  rows: number;
  columns: ColumnState[];
}

/** A column of one row group. `push` returns undefined, or why the value does not fit. */
export interface BatchColumn {
  readonly lake: LakeColumn;
  /** Appends `bytes[a, b)` (no quotes; `escaped`: doubled quotes inside to collapse); empty is null. */
  push(bytes: Uint8Array, a: number, b: number, escaped: boolean): string | undefined;
  /** Appends a null. */
  pushNull(): void;
  /** Value bytes held (for the row group's size). */
  readonly bytes: number;
  /** The values, one per row. */
  values(): ColumnValues;
  /** The values of `state`, taken from a column of the same lake column (possibly in another thread). */
  valuesOf(state: ColumnState): ColumnValues;
  /**
   * Hands over the stored values and starts empty, in `spare`'s arrays when given (a state taken from
   * this column before, whose values are no longer needed) or in new ones.
   */
  take(spare?: ColumnState): ColumnState;
  reset(): void;
}

function text(bytes: Uint8Array, a: number, b: number): string {
  return decoder.decode(bytes.subarray(a, b));
}

/** `'value'` for a message, cut at 64 characters. */
export function describeBytes(bytes: Uint8Array, a: number, b: number): string {
  const shown = text(bytes, a, Math.min(b, a + 64));
  return `'${shown}${b - a > 64 ? "…" : ""}'`;
}

function digit(bytes: Uint8Array, p: number): number {
  return ((bytes[p] as number) - 0x30) >>> 0;
}

/** `array` with room for `size` entries: the same array, or a copy at least twice as long. */
function withRoom<A extends Store>(array: A, size: number): A {
  if (size <= array.length) return array;
  const next = new (array.constructor as new (length: number) => A)(Math.max(size, array.length * 2));
  next.set(array as never);
  return next;
}

/**
 * A column of fixed-width values in one typed array (`A`: Int32Array, Float64Array or BigInt64Array),
 * with a null flag per row; subclasses parse the text.
 */
abstract class FixedColumn<A extends Int32Array | Float64Array | BigInt64Array> implements BatchColumn {
  protected rows = 0;
  protected nulls: Uint8Array = new Uint8Array(1024);

  /**
   * @param data   the value storage, grown as rows come
   * @param width  bytes a value takes (for the row group's size)
   */
  constructor(
    readonly lake: LakeColumn,
    protected data: A,
    readonly width: number,
  ) {}

  get bytes(): number {
    return this.rows * this.width;
  }

  abstract push(bytes: Uint8Array, a: number, b: number, escaped: boolean): string | undefined;

  /** Makes room for one more row; returns its index. */
  protected next(): number {
    const row = this.rows;
    if (row === this.nulls.length) {
      this.nulls = withRoom(this.nulls, row + 1);
      this.data = withRoom(this.data, row + 1);
    }
    this.rows = row + 1;
    return row;
  }

  /** Stores a value already checked. */
  protected store(value: A[number]): void {
    const row = this.next();
    this.data[row] = value;
  }

  protected read(data: A, row: number): A[number] | boolean {
    return data[row] as A[number];
  }

  pushNull(): void {
    // next() may replace the array: the row first, then the array to write to.
    const row = this.next();
    this.nulls[row] = 1;
  }

  /** Appends a null (an empty field); nothing to report. */
  protected nullValue(): undefined {
    this.pushNull();
    return undefined;
  }

  values(): ColumnValues {
    return this.valuesOf({ rows: this.rows, arrays: [this.nulls, this.data] });
  }

  valuesOf(state: ColumnState): ColumnValues {
    const [nulls, data] = state.arrays as [Uint8Array, A];
    const out: ColumnValues = new Array(state.rows);
    for (let row = 0; row < state.rows; row++) out[row] = nulls[row] === 1 ? null : this.read(data, row);
    return out;
  }

  take(spare?: ColumnState): ColumnState {
    const taken: ColumnState = { rows: this.rows, arrays: [this.nulls, this.data] };
    if (spare === undefined) {
      this.nulls = new Uint8Array(this.nulls.length);
      this.data = new (this.data.constructor as new (length: number) => A)(this.data.length);
    } else {
      const [nulls, data] = spare.arrays as [Uint8Array, A];
      nulls.fill(0, 0, spare.rows);
      this.nulls = nulls;
      this.data = data;
    }
    this.rows = 0;
    return taken;
  }

  reset(): void {
    this.nulls.fill(0, 0, this.rows);
    this.rows = 0;
  }
}

class Int32Column extends FixedColumn<Int32Array> {
  constructor(lake: LakeColumn, width = 4) {
    super(lake, new Int32Array(1024), width);
  }

  push(bytes: Uint8Array, a: number, b: number): string | undefined {
    if (a === b) return this.nullValue();
    const value = parseInteger(bytes, a, b);
    if (typeof value === "string") return value;
    if (typeof value === "bigint" || value < INT32_MIN || value > INT32_MAX) {
      return `${describeBytes(bytes, a, b)} does not fit an int (32 bits)`;
    }
    this.store(value);
    return undefined;
  }
}

class DateColumn extends Int32Column {
  override push(bytes: Uint8Array, a: number, b: number): string | undefined {
    if (a === b) return this.nullValue();
    const days = b - a === 10 ? epochDay(bytes, a) : undefined;
    if (days === undefined) return `${describeBytes(bytes, a, b)} is not a date (expected YYYY-MM-DD)`;
    this.store(days);
    return undefined;
  }
}

class BooleanColumn extends Int32Column {
  constructor(lake: LakeColumn) {
    super(lake, 1);
  }

  protected override read(data: Int32Array, row: number): boolean {
    return data[row] === 1;
  }

  override push(bytes: Uint8Array, a: number, b: number): string | undefined {
    if (a === b) return this.nullValue();
    const n = b - a;
    if (
      n === 4 &&
      bytes[a] === 0x74 &&
      bytes[a + 1] === 0x72 &&
      bytes[a + 2] === 0x75 &&
      bytes[a + 3] === 0x65
    ) {
      this.store(1);
      return undefined;
    }
    if (
      n === 5 &&
      bytes[a] === 0x66 &&
      bytes[a + 1] === 0x61 &&
      bytes[a + 2] === 0x6c &&
      bytes[a + 3] === 0x73 &&
      bytes[a + 4] === 0x65
    ) {
      this.store(0);
      return undefined;
    }
    return `${describeBytes(bytes, a, b)} is not true or false`;
  }
}

class Float64Column extends FixedColumn<Float64Array> {
  constructor(lake: LakeColumn) {
    super(lake, new Float64Array(1024), 8);
  }

  push(bytes: Uint8Array, a: number, b: number): string | undefined {
    if (a === b) return this.nullValue();
    const fast = plainDouble(bytes, a, b);
    if (fast !== undefined) {
      this.store(fast);
      return undefined;
    }
    if (b - a > MAX_TYPED_BYTES) return `${describeBytes(bytes, a, b)} is too long for a number`;
    const written = text(bytes, a, b);
    const value = parseDecimal(written) === undefined ? Number.NaN : Number(written);
    if (!Number.isFinite(value)) return `${describeBytes(bytes, a, b)} is not a number`;
    this.store(value);
    return undefined;
  }
}

class TimestampColumn extends Float64Column {
  override push(bytes: Uint8Array, a: number, b: number): string | undefined {
    if (a === b) return this.nullValue();
    let ms = b - a === 24 ? canonicalEpochMs(bytes, a) : undefined;
    if (ms === undefined && b - a <= MAX_TYPED_BYTES) {
      // Other spellings (REST's `+0000`, offsets) normalized to the canonical UTC form first.
      const normalized = normalizeDateTime(text(bytes, a, b), { assumeUtc: false });
      if (normalized.ok) {
        const canonical = new TextEncoder().encode(normalized.value);
        ms = canonicalEpochMs(canonical, 0);
      }
    }
    if (ms === undefined) {
      return `${describeBytes(bytes, a, b)} is not a datetime (expected 2024-04-16T19:00:00.000Z)`;
    }
    this.store(ms);
    return undefined;
  }
}

class BigIntColumn extends FixedColumn<BigInt64Array> {
  constructor(lake: LakeColumn) {
    super(lake, new BigInt64Array(1024), 8);
  }

  push(bytes: Uint8Array, a: number, b: number): string | undefined {
    if (a === b) return this.nullValue();
    const value = parseInteger(bytes, a, b);
    if (typeof value === "string") return value;
    const big = typeof value === "bigint" ? value : BigInt(value);
    if (big < INT64_MIN || big > INT64_MAX)
      return `${describeBytes(bytes, a, b)} does not fit a bigint (64 bits)`;
    this.store(big);
    return undefined;
  }
}

/**
 * Decimals as unscaled integers (value × 10^scale). Precision up to 18 fits a 64-bit integer; wider
 * decimals (up to 38 digits) are kept as bigints.
 */
class DecimalColumn implements BatchColumn {
  private rows = 0;
  private narrow: BigInt64Array = new BigInt64Array(1024);
  private wide: Array<bigint | null> = [];
  private nulls: Uint8Array = new Uint8Array(1024);
  private readonly precision: number;
  private readonly scale: number;
  private readonly isWide: boolean;

  constructor(readonly lake: LakeColumn) {
    const type = lake.type as Extract<LakeType, { kind: "decimal" }>;
    this.precision = type.precision;
    this.scale = type.scale;
    this.isWide = type.precision > 18;
  }

  get bytes(): number {
    return this.rows * (this.isWide ? 16 : 8);
  }

  private store(value: bigint | null): void {
    const row = this.rows;
    if (this.isWide) this.wide.push(value);
    else {
      if (row === this.narrow.length) {
        this.narrow = withRoom(this.narrow, row + 1);
        this.nulls = withRoom(this.nulls, row + 1);
      }
      if (value === null) this.nulls[row] = 1;
      else this.narrow[row] = value;
    }
    this.rows = row + 1;
  }

  pushNull(): void {
    this.store(null);
  }

  private nullValue(): undefined {
    this.pushNull();
    return undefined;
  }

  push(bytes: Uint8Array, a: number, b: number): string | undefined {
    if (a === b) return this.nullValue();
    const fast = this.plain(bytes, a, b);
    if (fast !== undefined) {
      this.store(fast);
      return undefined;
    }
    if (b - a > MAX_TYPED_BYTES) return `${describeBytes(bytes, a, b)} is too long for a number`;
    const parts = parseDecimal(text(bytes, a, b));
    if (parts === undefined) return `${describeBytes(bytes, a, b)} is not a number`;
    const unscaled = this.unscaled(parts);
    if (typeof unscaled === "string") return `${describeBytes(bytes, a, b)} ${unscaled}`;
    this.store(unscaled);
    return undefined;
  }

  /**
   * The usual spelling, `-?digits(.digits)?` with no more decimals than the scale and at most 15
   * digits, read without strings; undefined for anything else (the general path decides).
   */
  private plain(bytes: Uint8Array, a: number, b: number): bigint | undefined {
    if (!scanPlainNumber(bytes, a, b)) return undefined;
    const { negative, value, fraction } = plainNumber;
    if (fraction > this.scale || plainNumber.integerDigits > this.precision - this.scale) return undefined;
    const unscaled = value * 10 ** (this.scale - fraction);
    if (!Number.isSafeInteger(unscaled)) return undefined;
    return BigInt(negative ? -unscaled : unscaled);
  }

  /** value × 10^scale as an integer, or why it does not fit decimal(precision, scale). */
  private unscaled(parts: DecimalParts): bigint | string {
    const shift = parts.exponent + this.scale;
    let digits: string;
    if (shift >= 0) digits = parts.digits === "0" ? "0" : parts.digits + "0".repeat(shift);
    else {
      const keep = parts.digits.length + shift;
      const dropped = keep > 0 ? parts.digits.slice(keep) : parts.digits.padStart(-shift, "0");
      if (!this.lake.calculated) {
        return `has more than ${this.scale} decimals (the field's scale): the value would change`;
      }
      let kept = BigInt(keep > 0 ? parts.digits.slice(0, keep) : "0");
      // Half-even: more than half rounds up, exactly half rounds to the even neighbour.
      const first = dropped.charCodeAt(0) - 0x30;
      const rest = /[1-9]/.test(dropped.slice(1));
      if (first > 5 || (first === 5 && (rest || kept % 2n === 1n))) kept += 1n;
      digits = kept.toString();
    }
    const value = BigInt(digits);
    if (digits !== "0" && digits.length > this.precision) {
      const integer = integerDigitCount(parts);
      return `has ${integer} digits before the decimal point: decimal(${this.precision},${this.scale}) holds ${this.precision - this.scale}`;
    }
    return parts.negative ? -value : value;
  }

  values(): ColumnValues {
    return this.valuesOf({ rows: this.rows, arrays: [this.nulls, this.narrow], wide: this.wide });
  }

  valuesOf(state: ColumnState): ColumnValues {
    if (this.isWide) return (state.wide ?? []).slice();
    const [nulls, narrow] = state.arrays as [Uint8Array, BigInt64Array];
    const out: ColumnValues = new Array(state.rows);
    for (let row = 0; row < state.rows; row++) out[row] = nulls[row] === 1 ? null : (narrow[row] as bigint);
    return out;
  }

  take(spare?: ColumnState): ColumnState {
    const taken: ColumnState = { rows: this.rows, arrays: [this.nulls, this.narrow], wide: this.wide };
    if (spare === undefined) {
      this.nulls = new Uint8Array(this.nulls.length);
      this.narrow = new BigInt64Array(this.narrow.length);
    } else {
      const [nulls, narrow] = spare.arrays as [Uint8Array, BigInt64Array];
      nulls.fill(0, 0, spare.rows);
      this.nulls = nulls;
      this.narrow = narrow;
    }
    this.wide = [];
    this.rows = 0;
    return taken;
  }

  reset(): void {
    this.nulls.fill(0, 0, this.rows);
    this.wide = [];
    this.rows = 0;
  }
}

/** Rows after which a text column stops looking for repeated values if most were new. */
const INTERN_TRIAL_ROWS = 2048;
/** Slots of a text column's table of distinct values (a power of two): more distinct values stop it. */
const INTERN_SLOTS = 1 << 14;
const INTERN_MAX_DISTINCT = INTERN_SLOTS >> 2;

/**
 * Text: every value's bytes in one arena, the start and end of each row's (a null has start = end = -1).
 *
 * A value equal to an earlier one of the same row group (a picklist, a country, a record type…) is
 * not stored again: the row points at the first one's bytes, and `values()` hands the writer the same
 * object for both, which the writer's dictionary then finds by identity instead of by hashing every
 * value's bytes. Columns whose values are mostly distinct (ids, names) stop looking after a trial.
 *
 * The values are views into the arena, which the next row group overwrites: whoever keeps one past
 * the write copies it (ParquetPartWriter copies the statistics the writer keeps).
 */
class StringColumn implements BatchColumn {
  private arena: Uint8Array = new Uint8Array(1 << 16);
  private used = 0;
  private logicalBytes = 0;
  private starts: Int32Array = new Int32Array(1024);
  private ends: Int32Array = new Int32Array(1024);
  /** For a repeated value, the row that holds its bytes; else the row itself. */
  private firsts: Int32Array = new Int32Array(1024);
  private rows = 0;
  /** Open-addressing table: row + 1 of each distinct value, by hash of its bytes (0 = empty). */
  private slots: Int32Array | undefined = new Int32Array(INTERN_SLOTS);
  private distinct = 0;

  constructor(readonly lake: LakeColumn) {}

  get bytes(): number {
    return this.logicalBytes + this.rows * 4;
  }

  private row(): number {
    const row = this.rows;
    if (row === this.ends.length) {
      this.starts = withRoom(this.starts, row + 1);
      this.ends = withRoom(this.ends, row + 1);
      this.firsts = withRoom(this.firsts, row + 1);
    }
    this.rows = row + 1;
    return row;
  }

  pushNull(): void {
    const row = this.row();
    this.starts[row] = -1;
    this.ends[row] = -1;
    this.firsts[row] = row;
  }

  push(bytes: Uint8Array, a: number, b: number, escaped: boolean): string | undefined {
    // Bulk writes null and the empty string alike (an empty field): both are null.
    if (a === b) {
      this.pushNull();
      return undefined;
    }
    if (this.used + (b - a) > this.arena.length) this.arena = withRoom(this.arena, this.used + (b - a));
    const start = this.used;
    let hash = 0x811c9dc5;
    if (!escaped) {
      const arena = this.arena;
      if (b - a > 32) arena.set(bytes.subarray(a, b), start);
      else
        for (let p = a, o = start; p < b; p++, o++) {
          const byte = bytes[p] as number;
          arena[o] = byte;
          hash = Math.imul(hash ^ byte, 0x01000193);
        }
      this.used = start + (b - a);
    } else {
      let o = start;
      for (let p = a; p < b; p++) {
        const byte = bytes[p] as number;
        this.arena[o++] = byte;
        if (byte === QUOTE && bytes[p + 1] === QUOTE) p++;
      }
      this.used = o;
    }
    this.logicalBytes += this.used - start;
    // row() may replace the arrays: the row first, then the arrays to write to.
    const row = this.row();
    this.firsts[row] = row;
    this.starts[row] = start;
    this.ends[row] = this.used;
    // Long and escaped values are not hashed above: they are rarely repeated, never looked up.
    if (this.slots !== undefined && !escaped && b - a <= 32) this.intern(row, hash >>> 0);
    return undefined;
  }

  /** Points `row` at an earlier row holding the same bytes (and drops its copy), or records it as new. */
  private intern(row: number, hash: number): void {
    const slots = this.slots as Int32Array;
    const mask = slots.length - 1;
    const start = this.starts[row] as number;
    const length = (this.ends[row] as number) - start;
    const arena = this.arena;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const held = slots[slot] as number;
      if (held === 0) break;
      const other = held - 1;
      const from = this.starts[other] as number;
      if ((this.ends[other] as number) - from !== length) continue;
      let k = 0;
      while (k < length && arena[from + k] === arena[start + k]) k++;
      if (k < length) continue;
      this.firsts[row] = other;
      this.starts[row] = from;
      this.ends[row] = from + length;
      this.used = start;
      return;
    }
    this.distinct++;
    if (
      this.distinct > INTERN_MAX_DISTINCT ||
      (this.rows === INTERN_TRIAL_ROWS && this.distinct * 2 > INTERN_TRIAL_ROWS)
    ) {
      this.slots = undefined;
      return;
    }
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      if (slots[slot] === 0) {
        slots[slot] = row + 1;
        return;
      }
    }
  }

  values(): ColumnValues {
    return this.valuesOf({ rows: this.rows, arrays: [this.arena, this.starts, this.ends, this.firsts] });
  }

  valuesOf(state: ColumnState): ColumnValues {
    const [arena, starts, ends, firsts] = state.arrays as [Uint8Array, Int32Array, Int32Array, Int32Array];
    const out: ColumnValues = new Array(state.rows);
    for (let row = 0; row < state.rows; row++) {
      const first = firsts[row] as number;
      if (first !== row) out[row] = out[first] as Uint8Array;
      else {
        const start = starts[row] as number;
        out[row] = start < 0 ? null : arena.subarray(start, ends[row] as number);
      }
    }
    return out;
  }

  take(spare?: ColumnState): ColumnState {
    const taken: ColumnState = {
      rows: this.rows,
      arrays: [this.arena, this.starts, this.ends, this.firsts],
    };
    if (spare === undefined) {
      this.arena = new Uint8Array(this.arena.length);
      this.starts = new Int32Array(this.starts.length);
      this.ends = new Int32Array(this.ends.length);
      this.firsts = new Int32Array(this.firsts.length);
    } else {
      [this.arena, this.starts, this.ends, this.firsts] = spare.arrays as [
        Uint8Array,
        Int32Array,
        Int32Array,
        Int32Array,
      ];
    }
    this.reset();
    return taken;
  }

  reset(): void {
    this.rows = 0;
    this.used = 0;
    this.logicalBytes = 0;
    this.distinct = 0;
    if (this.slots === undefined) this.slots = new Int32Array(INTERN_SLOTS);
    else this.slots.fill(0);
  }
}

export function createColumn(lake: LakeColumn): BatchColumn {
  switch (lake.type.kind) {
    case "string":
      return new StringColumn(lake);
    case "boolean":
      return new BooleanColumn(lake);
    case "int":
      return new Int32Column(lake);
    case "bigint":
      return new BigIntColumn(lake);
    case "double":
      return new Float64Column(lake);
    case "decimal":
      if (lake.type.precision > MAX_DECIMAL_PRECISION) throw new RangeError("decimal precision above 38");
      return new DecimalColumn(lake);
    case "date":
      return new DateColumn(lake);
    case "timestamp":
      return new TimestampColumn(lake);
  }
}

/**
 * A hashed field's column (settings `hashFields`): each value's text goes in as its hash (64 hex
 * digits) into a string column; the text itself is never stored.
 */
class HashedColumn implements BatchColumn {
  private readonly scratch = new Uint8Array(64);

  constructor(
    private readonly inner: BatchColumn,
    private readonly hash: FieldHasher,
  ) {}

  get lake(): LakeColumn {
    return this.inner.lake;
  }

  get bytes(): number {
    return this.inner.bytes;
  }

  push(bytes: Uint8Array, a: number, b: number, escaped: boolean): string | undefined {
    if (a === b) {
      this.inner.pushNull();
      return undefined;
    }
    const hex = this.hash(hashedText(this.inner.lake.sfType, fieldText(bytes, a, b, escaped)));
    for (let k = 0; k < 64; k++) this.scratch[k] = hex.charCodeAt(k);
    return this.inner.push(this.scratch, 0, 64, false);
  }

  pushNull(): void {
    this.inner.pushNull();
  }

  values(): ColumnValues {
    return this.inner.values();
  }

  valuesOf(state: ColumnState): ColumnValues {
    return this.inner.valuesOf(state);
  }

  take(spare?: ColumnState): ColumnState {
    return this.inner.take(spare);
  }

  reset(): void {
    this.inner.reset();
  }
}

/** Which fields of a batch are hashed, and how (see field-hash.ts). */
export interface BatchHash {
  fields: ReadonlySet<string>;
  hasher: FieldHasher;
}

/** The rows of one row group, column by column. */
export class LakeBatch {
  readonly columns: BatchColumn[];
  private count = 0;

  /** @param hash the hashed fields (their lake columns are strings): their values go in hashed */
  constructor(
    readonly lakeColumns: LakeColumn[],
    hash?: BatchHash,
  ) {
    this.columns = lakeColumns.map((lake) => {
      const column = createColumn(lake);
      if (hash === undefined || !hash.fields.has(lake.field)) return column;
      if (lake.type.kind !== "string")
        throw new RangeError(`hashed field ${lake.field} is not a string column`);
      return new HashedColumn(column, hash.hasher);
    });
  }

  get rows(): number {
    return this.count;
  }

  /** Value bytes held: what the row group costs in memory, about its uncompressed size. */
  get bytes(): number {
    let total = 0;
    for (const column of this.columns) total += column.bytes;
    return total;
  }

  /** Counts a row whose every column was pushed. */
  endRow(): void {
    this.count++;
  }

  reset(): void {
    for (const column of this.columns) column.reset();
    this.count = 0;
  }

  /**
   * Hands over the rows gathered (the batch is empty after), in arrays that can move to another
   * thread; `spare`, a state taken from this batch before and done with, lends its arrays to the next.
   */
  take(spare?: BatchState): BatchState {
    const columns = this.columns.map((column, index) => column.take(spare?.columns[index]));
    const state = { rows: this.count, columns };
    this.count = 0;
    return state;
  }
}

/** The buffers of a batch state, to transfer with it (each once). */
export function stateBuffers(state: BatchState): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const column of state.columns)
    for (const array of column.arrays) buffers.add(array.buffer as ArrayBuffer);
  return [...buffers];
}

/** An integer `-?digits(.0*)?` (or any decimal spelling of a whole number): a number, a bigint past 2^53, or why not. */
function parseInteger(bytes: Uint8Array, a: number, b: number): number | bigint | string {
  let p = a;
  const negative = bytes[p] === 0x2d;
  if (negative) p++;
  let value = 0;
  let digits = 0;
  while (p < b && digit(bytes, p) < 10) {
    value = value * 10 + digit(bytes, p);
    digits++;
    p++;
  }
  if (digits > 0 && digits <= 15) {
    if (p < b && bytes[p] === 0x2e) {
      p++;
      while (p < b && bytes[p] === 0x30) p++;
    }
    if (p === b) return negative && value !== 0 ? -value : value;
  }
  if (b - a > MAX_TYPED_BYTES) return `${describeBytes(bytes, a, b)} is too long for an integer`;
  const parts = parseDecimal(text(bytes, a, b));
  const integer = parts === undefined ? undefined : toIntegerText(parts, 40);
  if (integer === undefined) return `${describeBytes(bytes, a, b)} is not an integer`;
  const big = BigInt(integer);
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

/** Days since 1970-01-01 of `YYYY-MM-DD` at `bytes[a, a + 10)`, or undefined. */
function epochDay(bytes: Uint8Array, a: number): number | undefined {
  if (bytes[a + 4] !== 0x2d || bytes[a + 7] !== 0x2d) return undefined;
  let year = 0;
  for (let k = 0; k < 4; k++) {
    const d = digit(bytes, a + k);
    if (d > 9) return undefined;
    year = year * 10 + d;
  }
  const m1 = digit(bytes, a + 5);
  const m2 = digit(bytes, a + 6);
  const d1 = digit(bytes, a + 8);
  const d2 = digit(bytes, a + 9);
  if (m1 > 9 || m2 > 9 || d1 > 9 || d2 > 9) return undefined;
  const month = m1 * 10 + m2;
  const day = d1 * 10 + d2;
  if (!isValidYmd(year, month, day)) return undefined;
  return daysFromCivil(year, month, day);
}

/** Exact powers of ten as doubles: 10^0 … 10^22. */
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => 10 ** k);

/** What scanPlainNumber read last (one record, reused: the hot path allocates nothing). */
const plainNumber = { negative: false, value: 0, integerDigits: 0, fraction: 0 };

/**
 * Reads the usual spelling of a number, `-?digits(.digits)?` with at most 15 digits, into
 * `plainNumber`: the digits as one integer (below 2^53, so exact), the decimals after the point, and
 * the integer digits after leading zeros. False for anything else (the general paths decide).
 */
function scanPlainNumber(bytes: Uint8Array, a: number, b: number): boolean {
  let p = a;
  const negative = bytes[p] === 0x2d;
  if (negative) p++;
  let value = 0;
  let count = 0;
  let integerDigits = 0;
  while (p < b && digit(bytes, p) < 10) {
    value = value * 10 + digit(bytes, p);
    if (value > 0) integerDigits++;
    count++;
    p++;
  }
  if (count === 0) return false;
  let fraction = 0;
  if (p < b && bytes[p] === 0x2e) {
    p++;
    while (p < b && digit(bytes, p) < 10) {
      value = value * 10 + digit(bytes, p);
      fraction++;
      p++;
    }
    if (fraction === 0) return false;
  }
  if (p !== b || count + fraction > 15) return false;
  plainNumber.negative = negative;
  plainNumber.value = value;
  plainNumber.integerDigits = integerDigits;
  plainNumber.fraction = fraction;
  return true;
}

/**
 * A double of the usual spelling (scanPlainNumber), or undefined. Both the digits as an integer and
 * 10^decimals (at most 10^15) are exact doubles, so their quotient is the correctly rounded value, the
 * same double `Number(text)` gives.
 */
function plainDouble(bytes: Uint8Array, a: number, b: number): number | undefined {
  if (!scanPlainNumber(bytes, a, b)) return undefined;
  const { negative, value, fraction } = plainNumber;
  const magnitude = fraction === 0 ? value : value / (POWERS_OF_TEN[fraction] as number);
  return negative ? -magnitude : magnitude;
}

/** The number of `width` digits at `bytes[a, a + width)`, or -1 when one is not a digit. */
function digits(bytes: Uint8Array, a: number, width: number): number {
  let value = 0;
  for (let k = 0; k < width; k++) {
    const d = digit(bytes, a + k);
    if (d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

/** Epoch milliseconds of `YYYY-MM-DDTHH:mm:ss.SSSZ` at `bytes[a, a + 24)`, or undefined. */
function canonicalEpochMs(bytes: Uint8Array, a: number): number | undefined {
  if (bytes[a + 10] !== 0x54 || bytes[a + 13] !== 0x3a || bytes[a + 16] !== 0x3a) return undefined;
  if (bytes[a + 19] !== 0x2e || bytes[a + 23] !== 0x5a) return undefined;
  const days = epochDay(bytes, a);
  if (days === undefined) return undefined;
  const hour = digits(bytes, a + 11, 2);
  const minute = digits(bytes, a + 14, 2);
  const second = digits(bytes, a + 17, 2);
  const ms = digits(bytes, a + 20, 3);
  // -1 (not digits) fails the lower bounds.
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59 || ms < 0) {
    return undefined;
  }
  return days * DAY_MS + hour * 3_600_000 + minute * 60_000 + second * 1000 + ms;
}
