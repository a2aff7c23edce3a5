/**
 * One object's live state inside an org: its (mutable, internal) describe, a case-insensitive field
 * index, its rows, what it keeps of its deletions, and the behaviour of its computed and auto-number
 * fields.
 */
import { DeleteLog, RecycleBin } from "./deletions";
import { behaviorOf, type Compute, type FieldBehavior } from "./schema";
import { type Row, Table } from "./table";
import type { FieldDef, ObjectDef, Value } from "./types";

export class ObjectState {
  private byLower = new Map<string, FieldDef>();
  private computes = new Map<string, Compute>();
  private autoNumbers = new Map<string, NonNullable<FieldBehavior["autoNumber"]>>();
  /** Names of the fields whose values are stored (not compound, not computed). */
  storedFields: string[] = [];
  readonly table: Table;
  readonly deleteLog = new DeleteLog();
  readonly recycleBin = new RecycleBin();

  constructor(
    readonly def: ObjectDef,
    pod: string,
    counterBase: number,
    private readonly now: () => number,
    private readonly record: (id: string) => Row | undefined = () => undefined,
  ) {
    this.table = new Table(def.keyPrefix, pod, counterBase, (row, field) => this.computeField(row, field));
    this.reindex();
  }

  /** Rebuild the field lookups after a schema change. */
  reindex(): void {
    this.byLower = new Map(this.def.fields.map((f) => [f.name.toLowerCase(), f]));
    this.computes = new Map();
    this.autoNumbers = new Map();
    for (const f of this.def.fields) {
      const behavior = behaviorOf(f);
      if (behavior?.compute) this.computes.set(f.name, behavior.compute);
      if (behavior?.autoNumber) this.autoNumbers.set(f.name, behavior.autoNumber);
    }
    this.storedFields = this.def.fields
      .filter((f) => f.type !== "address" && f.type !== "location" && !this.computes.has(f.name))
      .map((f) => f.name);
  }

  field(name: string): FieldDef | undefined {
    return this.byLower.get(name.toLowerCase());
  }

  has(name: string): boolean {
    return this.byLower.has(name.toLowerCase());
  }

  /** Soft deletes keep the row (IsDeleted = true) only where the object has a recycle bin. */
  get hasRecycleBin(): boolean {
    return this.def.undeletable && this.byLower.has("isdeleted");
  }

  isComputed(name: string): boolean {
    return this.computes.has(name);
  }

  /** The auto-number value for the row that will get `counter`. */
  autoNumberValues(counter: number): Record<string, Value> {
    const values: Record<string, Value> = {};
    for (const [name, format] of this.autoNumbers) {
      values[name] = `${format.prefix}${String(counter).padStart(format.width, "0")}`;
    }
    return values;
  }

  hasAutoNumber(name: string): boolean {
    return this.autoNumbers.has(name);
  }

  private computeField(row: Row, field: string): Value | undefined {
    const compute = this.computes.get(field);
    if (!compute) return undefined;
    return compute(row, { now: this.now(), record: this.record });
  }
}
