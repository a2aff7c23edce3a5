/**
 * One row group being gathered for a Parquet part: a column per lake column, each holding its values
 * compactly (text as one byte arena, numbers in typed arrays) and checked on the way in, so a row group
 * costs about its bytes and no JS object per value, and the part writer encodes straight from them.
 *
 * Values arrive as UTF-8 bytes (Bulk CSV fields, or REST values encoded): a value that does not fit its
 * type is refused with the reason (the caller names object, field and row). Decimals keep every digit
 * (unscaled integers, never a float); a formula field's extra decimals (Salesforce computes formulas
 * with more scale than it declares) are rounded half-even to the scale, any other field's are refused.
 */
import { type LakeColumn, type LakeType, MAX_DECIMAL_PRECISION } from "../../lake/lake-names";
import { normalizeDateTime } from "../datetime-text";
import { type DecimalParts, integerDigitCount, parseDecimal, toIntegerText } from "../decimal-text";
import { digit, epochDayOf, isCanonicalDateTime, isDate, timeOfDayMs } from "./date-bytes";

const QUOTE = 0x22;
const DAY_MS = 86_400_000;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
/** Typed values longer than this cannot be valid (and are not decoded whole into the message). */
const MAX_TYPED_BYTES = 400;

const decoder = new TextDecoder();

/**
 * A column's rows as the Parquet writer reads them: a null flag per row (1: null) and the values of the
 * other rows, laid out by type. Text: row r is `arena[ends[r - 1], ends[r])` (from 0 for the first);
 * int64: a low then a high 32-bit word per row; float64: doubles, or a timestamp's whole milliseconds;
 * wide: the unscaled bigint of a decimal wider than 18 digits.
 */
export type ColumnData =
  | { layout: "text"; rows: number; nulls: Uint8Array; arena: Uint8Array; ends: Int32Array }
  | { layout: "int32"; rows: number; nulls: Uint8Array; values: Int32Array }
  | { layout: "int64"; rows: number; nulls: Uint8Array; values: Int32Array }
  | { layout: "float64"; rows: number; nulls: Uint8Array; values: Float64Array }
  | { layout: "boolean"; rows: number; nulls: Uint8Array; values: Uint8Array }
  | { layout: "wide"; rows: number; nulls: Uint8Array; values: Array<bigint | null> };

type FixedLayout = "int32" | "int64" | "float64" | "boolean";

/** A column of one row group. `push` returns undefined, or why the value does not fit. */
export interface BatchColumn {
  readonly lake: LakeColumn;
  /**
   * Appends `bytes[a, b)` (no quotes; `escaped`: doubled quotes inside to collapse); empty is null.
   * `view` is a DataView of `bytes` (text is copied a word at a time).
   */
  push(bytes: Uint8Array, a: number, b: number, escaped: boolean, view: DataView): string | undefined;
  /** Appends a null. */
  pushNull(): void;
  /** Value bytes held (for the row group's size). */
  readonly bytes: number;
  /** The rows gathered, valid until the next push or reset. */
  readonly data: ColumnData;
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

/** The typed arrays columns keep their values in. */
type Store = Uint8Array | Int32Array | Float64Array;

/** `array` with room for `size` entries: the same array, or a copy at least twice as long. */
function withRoom<A extends Store>(array: A, size: number): A {
  if (size <= array.length) return array;
  const next = new (array.constructor as new (length: number) => A)(Math.max(size, array.length * 2));
  next.set(array as never);
  return next;
}

const TWO_32 = 2 ** 32;
/** Scratch for DecimalReader.read's fast path. */
const WORDS = new Int32Array(2);

/**
 * A column of fixed-width values in one typed array (`perRow` entries a row), with a null flag per
 * row; subclasses parse the text.
 */
abstract class FixedColumn<A extends Int32Array | Float64Array | Uint8Array> implements BatchColumn {
  protected rows = 0;
  protected nulls = new Uint8Array(1024);

  /**
   * @param values  the value storage, grown as rows come
   * @param layout  how the Parquet writer reads `values`
   * @param width   bytes a value takes (for the row group's size)
   */
  constructor(
    readonly lake: LakeColumn,
    protected values: A,
    private readonly layout: FixedLayout,
    readonly width: number,
    private readonly perRow = 1,
  ) {}

  get bytes(): number {
    return this.rows * this.width;
  }

  get data(): ColumnData {
    return { layout: this.layout, rows: this.rows, nulls: this.nulls, values: this.values } as ColumnData;
  }

  abstract push(
    bytes: Uint8Array,
    a: number,
    b: number,
    escaped: boolean,
    view: DataView,
  ): string | undefined;

  /** Makes room for one more row; returns its index. */
  protected next(): number {
    const row = this.rows;
    if (row === this.nulls.length) {
      this.nulls = withRoom(this.nulls, row + 1);
      this.values = withRoom(this.values, (row + 1) * this.perRow);
    }
    this.rows = row + 1;
    return row;
  }

  /** Stores a value already checked (one entry a row). */
  protected store(value: number): void {
    const row = this.next();
    this.values[row] = value;
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

  reset(): void {
    this.nulls.fill(0, 0, this.rows);
    this.rows = 0;
  }
}

class Int32Column extends FixedColumn<Int32Array> {
  constructor(lake: LakeColumn) {
    super(lake, new Int32Array(1024), "int32", 4);
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
    if (b - a !== 10 || !isDate(bytes, a)) {
      return `${describeBytes(bytes, a, b)} is not a date (expected YYYY-MM-DD)`;
    }
    this.store(epochDayOf(bytes, a));
    return undefined;
  }
}

class BooleanColumn extends FixedColumn<Uint8Array> {
  constructor(lake: LakeColumn) {
    super(lake, new Uint8Array(1024), "boolean", 1);
  }

  push(bytes: Uint8Array, a: number, b: number): string | undefined {
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
    super(lake, new Float64Array(1024), "float64", 8);
  }

  push(bytes: Uint8Array, a: number, b: number): string | undefined {
    if (a === b) return this.nullValue();
    if (b - a > MAX_TYPED_BYTES) return `${describeBytes(bytes, a, b)} is too long for a number`;
    const written = text(bytes, a, b);
    const value = parseDecimal(written) === undefined ? Number.NaN : Number(written);
    if (!Number.isFinite(value)) return `${describeBytes(bytes, a, b)} is not a number`;
    this.store(value);
    return undefined;
  }
}

/** Datetimes as whole epoch milliseconds (exact in a double), written as INT64. */
class TimestampColumn extends Float64Column {
  override push(bytes: Uint8Array, a: number, b: number): string | undefined {
    if (a === b) return this.nullValue();
    // The value goes straight into the array: a double returned from a call would be a heap object.
    const row = this.next();
    if (b - a === 24 && canonicalEpochMs(bytes, a, this.values, row)) return undefined;
    if (b - a <= MAX_TYPED_BYTES) {
      // Other spellings (REST's `+0000`, offsets) normalized to the canonical UTC form first.
      const normalized = normalizeDateTime(text(bytes, a, b), { assumeUtc: false });
      if (
        normalized.ok &&
        canonicalEpochMs(new TextEncoder().encode(normalized.value), 0, this.values, row)
      ) {
        return undefined;
      }
    }
    return `${describeBytes(bytes, a, b)} is not a datetime (expected 2024-04-16T19:00:00.000Z)`;
  }
}

/** 64-bit integers as two 32-bit words a row (low, then high): no bigint per value. */
abstract class Int64Column extends FixedColumn<Int32Array> {
  constructor(lake: LakeColumn) {
    super(lake, new Int32Array(2048), "int64", 8, 2);
  }

  /** Stores a value already checked to fit 64 bits: a safe integer, or a bigint. */
  protected storeInt64(value: number | bigint): void {
    this.setInt64(this.next() * 2, value);
  }

  /** Sets the words at `at` to a value that fits 64 bits: a safe integer, or a bigint. */
  protected setInt64(at: number, value: number | bigint): void {
    if (typeof value === "number") {
      const high = Math.floor(value / TWO_32);
      this.values[at] = value - high * TWO_32;
      this.values[at + 1] = high;
    } else {
      this.values[at] = Number(BigInt.asIntN(32, value));
      this.values[at + 1] = Number(value >> 32n);
    }
  }
}

class BigIntColumn extends Int64Column {
  push(bytes: Uint8Array, a: number, b: number): string | undefined {
    if (a === b) return this.nullValue();
    const value = parseInteger(bytes, a, b);
    if (typeof value === "string") return value;
    if (typeof value === "bigint" && (value < INT64_MIN || value > INT64_MAX))
      return `${describeBytes(bytes, a, b)} does not fit a bigint (64 bits)`;
    this.storeInt64(value);
    return undefined;
  }
}

/** Reads decimal text as the unscaled integer of decimal(precision, scale), or says why it does not fit. */
class DecimalReader {
  readonly precision: number;
  readonly scale: number;

  constructor(readonly lake: LakeColumn) {
    const type = lake.type as Extract<LakeType, { kind: "decimal" }>;
    this.precision = type.precision;
    this.scale = type.scale;
  }

  /**
   * The usual spelling, `-?digits(.digits)?` with no more decimals than the scale and at most 15
   * digits, read without strings, as the two 32-bit words of its unscaled value at `out[at]` (low,
   * high); false for any other spelling, which `read` takes. The value never leaves this function as
   * a number: a double returned from a call is a heap object.
   */
  readInto(bytes: Uint8Array, a: number, b: number, out: Int32Array, at: number): boolean {
    let p = a;
    const negative = bytes[p] === 0x2d;
    if (negative) p++;
    let value = 0;
    let digits = 0;
    let integerDigits = 0;
    while (p < b && digit(bytes, p) < 10) {
      value = value * 10 + digit(bytes, p);
      if (value > 0) integerDigits++;
      digits++;
      p++;
    }
    if (digits === 0) return false;
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
    if (p !== b || fraction > this.scale || digits + fraction > 15) return false;
    if (integerDigits > this.precision - this.scale) return false;
    let unscaled = value * 10 ** (this.scale - fraction);
    if (!Number.isSafeInteger(unscaled)) return false;
    if (negative) unscaled = -unscaled;
    const high = Math.floor(unscaled / TWO_32);
    out[at] = unscaled - high * TWO_32;
    out[at + 1] = high;
    return true;
  }

  /** The unscaled value: a safe integer, a bigint beyond, or why the text does not fit. */
  read(bytes: Uint8Array, a: number, b: number): number | bigint | string {
    if (this.readInto(bytes, a, b, WORDS, 0)) {
      return (WORDS[1] as number) * TWO_32 + ((WORDS[0] as number) >>> 0);
    }
    if (b - a > MAX_TYPED_BYTES) return `${describeBytes(bytes, a, b)} is too long for a number`;
    const parts = parseDecimal(text(bytes, a, b));
    if (parts === undefined) return `${describeBytes(bytes, a, b)} is not a number`;
    const unscaled = this.unscaled(parts);
    return typeof unscaled === "string" ? `${describeBytes(bytes, a, b)} ${unscaled}` : unscaled;
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
}

/** Decimals of up to 18 digits as unscaled 64-bit integers (INT32 or INT64 in Parquet). */
class DecimalColumn extends Int64Column {
  private readonly reader: DecimalReader;

  constructor(lake: LakeColumn) {
    super(lake);
    this.reader = new DecimalReader(lake);
  }

  push(bytes: Uint8Array, a: number, b: number): string | undefined {
    if (a === b) return this.nullValue();
    const at = this.next() * 2;
    if (this.reader.readInto(bytes, a, b, this.values, at)) return undefined;
    const value = this.reader.read(bytes, a, b);
    if (typeof value === "string") return value;
    this.setInt64(at, value);
    return undefined;
  }
}

/** Decimals of 19 to 38 digits as unscaled bigints (FIXED_LEN_BYTE_ARRAY in Parquet). */
class WideDecimalColumn implements BatchColumn {
  private rows = 0;
  private values: Array<bigint | null> = [];
  private nulls = new Uint8Array(1024);
  private readonly reader: DecimalReader;

  constructor(readonly lake: LakeColumn) {
    this.reader = new DecimalReader(lake);
  }

  get bytes(): number {
    return this.rows * 16;
  }

  get data(): ColumnData {
    return { layout: "wide", rows: this.rows, nulls: this.nulls, values: this.values };
  }

  private store(value: bigint | null): void {
    const row = this.rows;
    if (row === this.nulls.length) this.nulls = withRoom(this.nulls, row + 1);
    if (value === null) this.nulls[row] = 1;
    this.values.push(value);
    this.rows = row + 1;
  }

  pushNull(): void {
    this.store(null);
  }

  push(bytes: Uint8Array, a: number, b: number): string | undefined {
    if (a === b) {
      this.pushNull();
      return undefined;
    }
    const value = this.reader.read(bytes, a, b);
    if (typeof value === "string") return value;
    this.store(BigInt(value));
    return undefined;
  }

  reset(): void {
    this.nulls.fill(0, 0, this.rows);
    this.values = [];
    this.rows = 0;
  }
}

/** Text: every value's bytes in one arena, the end of each in `ends` (a null repeats the last end). */
class StringColumn implements BatchColumn {
  private arena = new Uint8Array(1 << 16);
  private arenaView = new DataView(this.arena.buffer);
  private used = 0;
  private ends = new Int32Array(1024);
  private nulls = new Uint8Array(1024);
  private rows = 0;

  constructor(readonly lake: LakeColumn) {}

  get bytes(): number {
    return this.used + this.rows * 4;
  }

  private row(): number {
    const row = this.rows;
    if (row === this.ends.length) {
      this.ends = withRoom(this.ends, row + 1);
      this.nulls = withRoom(this.nulls, row + 1);
    }
    this.rows = row + 1;
    return row;
  }

  pushNull(): void {
    const row = this.row();
    this.nulls[row] = 1;
    this.ends[row] = this.used;
  }

  push(bytes: Uint8Array, a: number, b: number, escaped: boolean, view: DataView): string | undefined {
    // Bulk writes null and the empty string alike (an empty field): both are null.
    if (a === b) {
      this.pushNull();
      return undefined;
    }
    // Three bytes of room past the value: the copy below may write a word past its end.
    if (this.used + (b - a) + 3 > this.arena.length) {
      this.arena = withRoom(this.arena, this.used + (b - a) + 3);
      this.arenaView = new DataView(this.arena.buffer);
    }
    if (!escaped) {
      const arena = this.arena;
      if (b + 3 < bytes.length) {
        // A word at a time (the last may take up to three bytes past the value, which the next value
        // overwrites).
        const from = view;
        const to = this.arenaView;
        for (let p = a, o = this.used; p < b; p += 4, o += 4) to.setInt32(o, from.getInt32(p, true), true);
      } else for (let p = a, o = this.used; p < b; p++, o++) arena[o] = bytes[p] as number;
      this.used += b - a;
    } else {
      let o = this.used;
      for (let p = a; p < b; p++) {
        const byte = bytes[p] as number;
        this.arena[o++] = byte;
        if (byte === QUOTE && bytes[p + 1] === QUOTE) p++;
      }
      this.used = o;
    }
    // row() may replace `ends`: the row first, then the array to write to.
    const row = this.row();
    this.ends[row] = this.used;
    return undefined;
  }

  get data(): ColumnData {
    return { layout: "text", rows: this.rows, nulls: this.nulls, arena: this.arena, ends: this.ends };
  }

  reset(): void {
    this.nulls.fill(0, 0, this.rows);
    this.rows = 0;
    this.used = 0;
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
      return lake.type.precision > 18 ? new WideDecimalColumn(lake) : new DecimalColumn(lake);
    case "date":
      return new DateColumn(lake);
    case "timestamp":
      return new TimestampColumn(lake);
  }
}

/**
 * A batch for `columns`, reset: the same one each time for the same columns array (an extract's
 * pages, one after the other), so its arrays keep the size they grew to instead of growing anew on
 * every page and leaving megabytes behind. Callers never use two at once for one columns array.
 */
export function batchFor(columns: LakeColumn[]): LakeBatch {
  let batch = batches.get(columns);
  if (batch === undefined) {
    batch = new LakeBatch(columns);
    batches.set(columns, batch);
  }
  batch.reset();
  return batch;
}

const batches = new WeakMap<LakeColumn[], LakeBatch>();

/** The rows of one row group, column by column. */
export class LakeBatch {
  readonly columns: BatchColumn[];
  private count = 0;

  constructor(readonly lakeColumns: LakeColumn[]) {
    this.columns = lakeColumns.map(createColumn);
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

/**
 * Writes the epoch milliseconds of `YYYY-MM-DDTHH:mm:ss.SSSZ` at `bytes[a, a + 24)` to `out[at]`;
 * false when it is not one. The value goes straight into the array: a double returned from a call
 * would be a heap object.
 */
function canonicalEpochMs(bytes: Uint8Array, a: number, out: Float64Array, at: number): boolean {
  if (!isCanonicalDateTime(bytes, a)) return false;
  out[at] = epochDayOf(bytes, a) * DAY_MS + timeOfDayMs(bytes, a);
  return true;
}
