/**
 * Resolution of field paths against the schema and compilation of WHERE / ORDER BY into closures over
 * rows. Type rules and null handling follow Salesforce: string comparison ignores case, `!=` and
 * NOT IN match null values, datetimes compare by instant, each literal must suit the field's type.
 */

import { normalizeId } from "../org/ids";
import { compoundKey, NUMBER_TYPES, TEXT_TYPES } from "../org/schema";
import type { CompoundValue, FieldDef, ObjectDef, Value } from "../org/types";
import type { Condition, FieldRef, Literal, OrderItem } from "./ast";
import { queryError, unknownColumn, unknownRelationship } from "./errors";
import type { QueryRow, QuerySource } from "./source";

export type Reader = (row: QueryRow) => Value | CompoundValue;

export interface ResolvedField {
  path: string[];
  field: FieldDef;
  read: Reader;
}

function findField(def: ObjectDef, name: string): FieldDef | undefined {
  const lower = name.toLowerCase();
  return def.fields.find((f) => f.name.toLowerCase() === lower);
}

function compoundReader(def: ObjectDef, compound: FieldDef): (row: QueryRow) => CompoundValue | null {
  const parts = def.fields
    .filter((f) => f.compoundFieldName === compound.name)
    .map((f) => [compoundKey(compound, f), f.name] as const);
  return (row) => {
    const value: CompoundValue = {};
    let any = false;
    for (const [key, name] of parts) {
      const v = row.get(name);
      if (v !== null) any = true;
      value[key] = typeof v === "boolean" ? String(v) : v;
    }
    return any ? value : null;
  };
}

export function resolveField(
  source: QuerySource,
  query: string,
  root: ObjectDef,
  ref: FieldRef,
): ResolvedField {
  const parts = ref.path.split(".");
  const path: string[] = [];
  const hops: FieldDef[] = [];
  let def = root;
  let offset = ref.offset;
  for (let i = 0; i < parts.length - 1; i++) {
    const part = parts[i] as string;
    const lower = part.toLowerCase();
    const reference = def.fields.find(
      (f) => f.type === "reference" && f.relationshipName?.toLowerCase() === lower,
    );
    const target = reference?.referenceTo[0] ? source.findObject(reference.referenceTo[0]) : undefined;
    if (!reference || !target) throw unknownRelationship(query, offset, part);
    path.push(reference.relationshipName as string);
    hops.push(reference);
    def = target;
    offset += part.length + 1;
  }
  const last = parts[parts.length - 1] as string;
  const field = findField(def, last);
  if (!field) throw unknownColumn(query, offset, last, def.name);
  path.push(field.name);
  const leaf: Reader =
    field.type === "address" || field.type === "location"
      ? compoundReader(def, field)
      : (row) => row.get(field.name);
  let read = leaf;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = (hops[i] as FieldDef).name;
    const inner = read;
    read = (row) => {
      const parentId = row.get(hop);
      if (typeof parentId !== "string") return null;
      const parent = source.findRow(parentId);
      return parent ? inner(parent) : null;
    };
  }
  return { path, field, read };
}

type Key = string | number | boolean;

const DAY = 86_400_000;

/** The whole-day range [start, end) a relative date literal covers, as epoch ms (UTC days). */
function relativeRange(name: string, count: number, now: number): [number, number] {
  const today = Math.floor(now / DAY) * DAY;
  switch (name) {
    case "YESTERDAY":
      return [today - DAY, today];
    case "TOMORROW":
      return [today + DAY, today + 2 * DAY];
    case "LAST_N_DAYS":
      return [today - count * DAY, today + DAY];
    case "NEXT_N_DAYS":
      return [today + DAY, today + (count + 1) * DAY];
    case "N_DAYS_AGO":
      return [today - count * DAY, today - count * DAY + DAY];
    default:
      return [today, today + DAY];
  }
}

/**
 * A relative date literal as bounds in the field's key space: epoch ms for datetimes, `YYYY-MM-DD`
 * for dates (which order correctly as text).
 */
function relativeBounds(
  query: string,
  resolved: ResolvedField,
  literal: Extract<Literal, { kind: "relative" }>,
  now: number,
): [Key, Key] {
  const [start, end] = relativeRange(literal.name, literal.count, now);
  if (resolved.field.type === "datetime") return [start, end];
  if (resolved.field.type === "date") {
    return [new Date(start).toISOString().slice(0, 10), new Date(end).toISOString().slice(0, 10)];
  }
  throw queryError(
    "INVALID_FIELD",
    query,
    literal.offset,
    `value of filter criterion for field '${resolved.path.join(".")}' must be of type ${describeType(resolved.field)} and should ${TEXT_TYPES.has(resolved.field.type) || resolved.field.type === "id" || resolved.field.type === "reference" ? "be" : "not be"} enclosed in quotes`,
  );
}

function inRange(key: Key | null, [start, end]: [Key, Key]): boolean {
  return key !== null && key >= start && key < end;
}

/** The comparable key of a stored value for a field's type (strings fold case). */
function keyOf(field: FieldDef, value: Value | CompoundValue): Key | null {
  if (value === null || typeof value === "object") return null;
  if (typeof value === "string" && TEXT_TYPES.has(field.type)) {
    if (field.type === "multipicklist") return value.toLowerCase().split(";").sort().join(";");
    return value.toLowerCase();
  }
  return value;
}

function describeType(field: FieldDef): string {
  if (NUMBER_TYPES.has(field.type)) return field.type === "int" || field.type === "long" ? "int" : "double";
  if (field.type === "datetime") return "dateTime";
  if (field.type === "date" || field.type === "boolean" || field.type === "time") return field.type;
  return "string";
}

/** The key of a literal compared with `field`, or an error when the literal cannot apply to it. */
function literalKey(query: string, resolved: ResolvedField, literal: Literal): Key | null {
  const { field } = resolved;
  if (literal.kind === "null") return null;
  const mismatch = () => {
    const quoted = TEXT_TYPES.has(field.type) || field.type === "id" || field.type === "reference";
    const type = describeType(field);
    return queryError(
      "INVALID_FIELD",
      query,
      literal.offset,
      `value of filter criterion for field '${resolved.path.join(".")}' must be of type ${type} and ${quoted ? "should be enclosed in quotes" : "should not be enclosed in quotes"}`,
    );
  };
  if (field.type === "id" || field.type === "reference") {
    if (literal.kind !== "string") throw mismatch();
    const id = normalizeId(literal.value);
    if (!id) {
      throw queryError(
        "INVALID_QUERY_FILTER_OPERATOR",
        query,
        literal.offset,
        `invalid ID field: ${literal.value}`,
      );
    }
    return id;
  }
  if (TEXT_TYPES.has(field.type)) {
    if (literal.kind !== "string") throw mismatch();
    return keyOf(field, literal.value);
  }
  if (NUMBER_TYPES.has(field.type)) {
    if (literal.kind !== "number") throw mismatch();
    return literal.value;
  }
  if (field.type === "boolean") {
    if (literal.kind !== "boolean") throw mismatch();
    return literal.value;
  }
  if (field.type === "date") {
    if (literal.kind !== "date") throw mismatch();
    return literal.value;
  }
  if (field.type === "datetime") {
    if (literal.kind !== "datetime") throw mismatch();
    return literal.value;
  }
  if (field.type === "time") {
    if (literal.kind !== "string") throw mismatch();
    return literal.value;
  }
  throw mismatch();
}

function requireFilterable(query: string, ref: FieldRef, resolved: ResolvedField): void {
  const { field } = resolved;
  if (!field.filterable || field.type === "address" || field.type === "location") {
    throw queryError(
      "INVALID_FIELD",
      query,
      ref.offset,
      `field '${field.name}' can not be filtered in query call`,
      [field.name],
    );
  }
}

/** A LIKE pattern as a RegExp: `%` any run, `_` one character, backslash escapes taken literally. */
export function likeToRegExp(raw: string): RegExp {
  let pattern = "";
  for (let i = 0; i < raw.length; i++) {
    const char = raw.charAt(i);
    if (char === "\\" && i + 1 < raw.length) {
      const next = raw.charAt(++i);
      const literal =
        ({ n: "\n", r: "\r", t: "\t", b: "\b", f: "\f" } as Record<string, string>)[next] ?? next;
      pattern += literal.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
    } else if (char === "%") pattern += "[\\s\\S]*";
    else if (char === "_") pattern += "[\\s\\S]";
    else pattern += char.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
  }
  return new RegExp(`^${pattern}$`, "i");
}

export type Predicate = (row: QueryRow) => boolean;

export function compileCondition(
  source: QuerySource,
  query: string,
  root: ObjectDef,
  condition: Condition,
): Predicate {
  switch (condition.kind) {
    case "and": {
      const terms = condition.terms.map((t) => compileCondition(source, query, root, t));
      return (row) => terms.every((term) => term(row));
    }
    case "or": {
      const terms = condition.terms.map((t) => compileCondition(source, query, root, t));
      return (row) => terms.some((term) => term(row));
    }
    case "not": {
      const term = compileCondition(source, query, root, condition.term);
      return (row) => !term(row);
    }
    case "compare": {
      const resolved = resolveField(source, query, root, condition.field);
      requireFilterable(query, condition.field, resolved);
      if (condition.value.kind === "relative") {
        const bounds = relativeBounds(query, resolved, condition.value, source.now());
        const [start, end] = bounds;
        const { read, field } = resolved;
        const key = (row: QueryRow) => keyOf(field, read(row));
        switch (condition.operator) {
          case "=":
            return (row) => inRange(key(row), bounds);
          case "!=":
            return (row) => !inRange(key(row), bounds);
          case "<":
            return (row) => ((k) => k !== null && k < start)(key(row));
          case "<=":
            return (row) => ((k) => k !== null && k < end)(key(row));
          case ">":
            return (row) => ((k) => k !== null && k >= end)(key(row));
          case ">=":
            return (row) => ((k) => k !== null && k >= start)(key(row));
        }
      }
      const literal = literalKey(query, resolved, condition.value);
      const { read, field } = resolved;
      switch (condition.operator) {
        case "=":
          return (row) => keyOf(field, read(row)) === literal;
        case "!=":
          return (row) => keyOf(field, read(row)) !== literal;
        case "<":
          return (row) => {
            const key = keyOf(field, read(row));
            return key !== null && literal !== null && key < literal;
          };
        case "<=":
          return (row) => {
            const key = keyOf(field, read(row));
            return key !== null && literal !== null && key <= literal;
          };
        case ">":
          return (row) => {
            const key = keyOf(field, read(row));
            return key !== null && literal !== null && key > literal;
          };
        case ">=":
          return (row) => {
            const key = keyOf(field, read(row));
            return key !== null && literal !== null && key >= literal;
          };
      }
      break;
    }
    case "like": {
      const resolved = resolveField(source, query, root, condition.field);
      requireFilterable(query, condition.field, resolved);
      const { field, read } = resolved;
      if (!TEXT_TYPES.has(field.type) || condition.pattern.kind !== "string") {
        throw queryError(
          "INVALID_QUERY_FILTER_OPERATOR",
          query,
          condition.field.offset,
          `invalid operator on ${field.type === "reference" ? "id" : field.type} field: LIKE`,
        );
      }
      const regexp = likeToRegExp(condition.pattern.raw);
      return (row) => {
        const value = read(row);
        return typeof value === "string" && regexp.test(value);
      };
    }
    case "in": {
      const resolved = resolveField(source, query, root, condition.field);
      requireFilterable(query, condition.field, resolved);
      const now = source.now();
      const ranges = condition.values.flatMap((v) =>
        v.kind === "relative" ? [relativeBounds(query, resolved, v, now)] : [],
      );
      const keys = new Set(
        condition.values.filter((v) => v.kind !== "relative").map((v) => literalKey(query, resolved, v)),
      );
      const { field, read } = resolved;
      const member = (row: QueryRow): boolean => {
        const key = keyOf(field, read(row));
        return keys.has(key) || ranges.some((range) => inRange(key, range));
      };
      return condition.negated ? (row) => !member(row) : member;
    }
    case "includes": {
      const resolved = resolveField(source, query, root, condition.field);
      const { field, read } = resolved;
      if (field.type !== "multipicklist") {
        throw queryError(
          "INVALID_QUERY_FILTER_OPERATOR",
          query,
          condition.field.offset,
          `invalid operator on ${field.type} field: ${condition.negated ? "EXCLUDES" : "INCLUDES"}`,
        );
      }
      const wanted = condition.values.map((v) => {
        if (v.kind !== "string") throw queryError("MALFORMED_QUERY", query, v.offset, "unexpected token");
        return v.value.toLowerCase().split(";");
      });
      const includes = (row: QueryRow): boolean => {
        const value = read(row);
        if (typeof value !== "string") return false;
        const have = new Set(value.toLowerCase().split(";"));
        return wanted.some((set) => set.every((part) => have.has(part)));
      };
      return condition.negated ? (row) => !includes(row) : includes;
    }
  }
  throw new Error("unreachable condition kind");
}

export type Comparator = (a: Array<Key | null>, b: Array<Key | null>) => number;

export interface CompiledOrder {
  keys: (row: QueryRow) => Array<Key | null>;
  compare: Comparator;
}

export function compileOrder(
  source: QuerySource,
  query: string,
  root: ObjectDef,
  items: OrderItem[],
): CompiledOrder {
  const resolved = items.map((item) => {
    const r = resolveField(source, query, root, item.field);
    if (!r.field.sortable) {
      throw queryError(
        "INVALID_FIELD",
        query,
        item.field.offset,
        `field '${r.field.name}' can not be sorted in a query call`,
        [r.field.name],
      );
    }
    return r;
  });
  return {
    keys: (row) => resolved.map((r) => keyOf(r.field, r.read(row))),
    compare: (a, b) => {
      for (let i = 0; i < items.length; i++) {
        const item = items[i] as OrderItem;
        const x = a[i] ?? null;
        const y = b[i] ?? null;
        if (x === y) continue;
        if (x === null) return item.nullsLast ? 1 : -1;
        if (y === null) return item.nullsLast ? -1 : 1;
        const order = x < y ? -1 : x > y ? 1 : 0;
        if (order !== 0) return item.descending ? -order : order;
      }
      return 0;
    },
  };
}
