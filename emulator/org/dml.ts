/**
 * Insert, update, upsert, delete and hard delete with Salesforce's validation order and messages:
 * unknown and read-only columns, type coercion, field constraints, references (by Id or by a
 * parent's external id), required fields, unique values, row locks; then the write stamps the
 * system fields.
 */
import { dmlErrors } from "./dml-errors";
import { normalizeId, parseId } from "./ids";
import type { ObjectState } from "./object-state";
import { behaviorOf } from "./schema";
import type { Row, StoredRow } from "./table";
import type { DmlError, DmlInput, DmlResult, FieldDef, InputFormat, Value } from "./types";
import { OrgError } from "./types";
import { coerce, validate } from "./values";

export interface DmlContext {
  /** An object by key prefix, for checking where a lookup points. */
  objectByPrefix(prefix: string): ObjectState | undefined;
  /** An object by name (case-insensitive). */
  objectByName(name: string): ObjectState | undefined;
  now(): number;
  userId(): string;
  /** Remaining forced UNABLE_TO_LOCK_ROW failures by Id. */
  locks: Map<string, number>;
  /** A row was deleted at `at`: into the delete log, and into the recycle bin when `toBin`. */
  deleted(state: ObjectState, id: string, at: number, toBin: boolean): void;
}

type Mode = "insert" | "update";

function failure(errors: DmlError[], id: string | null = null): DmlResult {
  return { id, success: false, errors };
}

/** Consume one forced lock failure for `id`, if any. */
function takeLock(ctx: DmlContext, id: string): DmlError | undefined {
  const remaining = ctx.locks.get(id);
  if (!remaining) return undefined;
  if (remaining <= 1) ctx.locks.delete(id);
  else ctx.locks.set(id, remaining - 1);
  return dmlErrors.unableToLockRow(id);
}

function inputKey(input: DmlInput, name: string): string | undefined {
  const lower = name.toLowerCase();
  return Object.keys(input).find((key) => key.toLowerCase() === lower);
}

function isBlank(raw: unknown, format: InputFormat): boolean {
  return raw === undefined || raw === null || (format === "csv" && raw === "");
}

interface Collected {
  changes: Map<string, Value>;
  errors: DmlError[];
}

/** Check that `id` in lookup `field` names a live row of an object the field may point to. */
function checkReference(ctx: DmlContext, field: FieldDef, id: string): DmlError | undefined {
  const parts = parseId(id);
  const target = parts ? ctx.objectByPrefix(parts.keyPrefix) : undefined;
  if (!target) return dmlErrors.malformedId(field.label, id, field.name);
  if (!field.referenceTo.includes(target.def.name)) return dmlErrors.wrongReferenceType(field, id);
  const row = target.table.find(id);
  if (!row) return dmlErrors.invalidCrossReference([field.name]);
  if (row.get("IsDeleted") === true) return { ...dmlErrors.entityIsDeleted(), fields: [field.name] };
  return takeLock(ctx, id);
}

/** Resolve a parent by one of its external-id (or idLookup) fields, for `Account.ERP_Id__c` columns. */
function resolveParent(
  ctx: DmlContext,
  state: ObjectState,
  reference: FieldDef,
  keyField: string,
  raw: unknown,
  format: InputFormat,
  column: number,
): { id: string | null } | { error: DmlError } | undefined {
  const target = reference.referenceTo[0] ? ctx.objectByName(reference.referenceTo[0]) : undefined;
  if (!target)
    return { error: dmlErrors.unknownField(`${reference.relationshipName}.${keyField}`, state.def.name) };
  const key = target.field(keyField);
  if (!key)
    return { error: dmlErrors.unknownField(`${reference.relationshipName}.${keyField}`, state.def.name) };
  if (!key.externalId && !key.idLookup) {
    return { error: dmlErrors.notExternalIdForRelationship(key.name, target.def.name) };
  }
  const coerced = coerce(key, raw, format, column, false);
  if (coerced.kind === "unchanged") return undefined;
  if (coerced.kind === "error") return { error: coerced.error };
  if (coerced.value === null) return { id: null };
  let matches: Row[];
  if (key.type === "id") {
    const id = normalizeId(String(coerced.value));
    const row = id ? target.table.find(id) : undefined;
    matches = row && row.get("IsDeleted") !== true ? [row] : [];
  } else {
    matches = target.table.lookup(key.name, coerced.value, key.caseSensitive);
  }
  if (matches.length === 0) {
    return { error: dmlErrors.foreignKeyNotFound(String(coerced.value), key.name, target.def.name) };
  }
  if (matches.length > 1)
    return {
      error: dmlErrors.duplicateExternalId(
        key,
        matches.map((r) => r.id),
      ),
    };
  return { id: (matches[0] as Row).id };
}

function collect(
  ctx: DmlContext,
  state: ObjectState,
  input: DmlInput,
  format: InputFormat,
  mode: Mode,
): Collected {
  const changes = new Map<string, Value>();
  const errors: DmlError[] = [];
  const readOnly: string[] = [];
  let column = 0;
  const writable = (field: FieldDef) => (mode === "insert" ? field.createable : field.updateable);
  for (const [key, raw] of Object.entries(input)) {
    column++;
    if (format === "json" && key === "attributes") continue;
    if (key.toLowerCase() === "id") {
      if (mode === "insert" && !isBlank(raw, format)) readOnly.push("Id");
      continue;
    }
    const dot = key.indexOf(".");
    const nested = format === "json" && raw !== null && typeof raw === "object" && !Array.isArray(raw);
    if (dot > 0 || nested) {
      const relationship = dot > 0 ? key.slice(0, dot) : key;
      const reference = state.def.fields.find(
        (f) => f.type === "reference" && f.relationshipName?.toLowerCase() === relationship.toLowerCase(),
      );
      const entries = nested
        ? Object.entries(raw as Record<string, unknown>).filter(([k]) => k !== "attributes")
        : [];
      const keyField = dot > 0 ? key.slice(dot + 1) : entries[0]?.[0];
      const value = dot > 0 ? raw : entries[0]?.[1];
      if (!reference || !keyField) {
        errors.push(dmlErrors.unknownField(key, state.def.name));
        continue;
      }
      const resolved = resolveParent(ctx, state, reference, keyField, value, format, column);
      if (!resolved) continue;
      if ("error" in resolved) {
        errors.push(resolved.error);
        continue;
      }
      if (!writable(reference)) {
        readOnly.push(reference.name);
        continue;
      }
      if (resolved.id !== null) {
        const lockError = takeLock(ctx, resolved.id);
        if (lockError) {
          errors.push(lockError);
          continue;
        }
      }
      changes.set(reference.name, resolved.id);
      continue;
    }
    const field = state.field(key);
    if (!field || field.type === "address" || field.type === "location") {
      errors.push(dmlErrors.unknownField(key, state.def.name));
      continue;
    }
    const coerced = coerce(field, raw, format, column, mode === "insert");
    if (coerced.kind === "unchanged") continue;
    if (!writable(field)) {
      // Bulk files often carry read-only columns left empty; only a real value is refused there.
      if (format === "json" || coerced.kind !== "value" || coerced.value !== null) readOnly.push(field.name);
      continue;
    }
    if (coerced.kind === "error") {
      errors.push(coerced.error);
      continue;
    }
    const checked = validate(field, coerced.value);
    if ("error" in checked) {
      errors.push(checked.error);
      continue;
    }
    if (field.type === "reference" && typeof checked.value === "string") {
      const referenceError = checkReference(ctx, field, checked.value);
      if (referenceError) {
        errors.push(referenceError);
        continue;
      }
    }
    changes.set(field.name, checked.value);
  }
  if (readOnly.length > 0) errors.unshift(dmlErrors.notWritable(readOnly));
  return { changes, errors };
}

function checkUnique(
  state: ObjectState,
  values: Map<string, Value>,
  selfCounter?: number,
): DmlError | undefined {
  for (const [name, value] of values) {
    const field = state.field(name);
    if (!field?.unique || value === null) continue;
    const other = state.table
      .lookup(name, value, field.caseSensitive)
      .find((row) => row.counter !== selfCounter);
    if (other) return dmlErrors.duplicateValue(field, other.id);
  }
  return undefined;
}

/** The system-field stamps of a write, limited to the fields the object has. */
function stamps(ctx: DmlContext, state: ObjectState, created: boolean): Record<string, Value> {
  const now = ctx.now();
  const user = ctx.userId();
  const all: Record<string, Value> = { LastModifiedDate: now, SystemModstamp: now, LastModifiedById: user };
  if (created) Object.assign(all, { CreatedDate: now, CreatedById: user, IsDeleted: false });
  const out: Record<string, Value> = {};
  for (const [name, value] of Object.entries(all)) if (state.has(name)) out[name] = value;
  return out;
}

function defaultValue(ctx: DmlContext, field: FieldDef): Value {
  const configured = behaviorOf(field)?.defaultValue;
  if (configured !== undefined) return configured;
  if (field.type === "boolean") return false;
  if (field.name === "OwnerId" && field.type === "reference") return ctx.userId();
  const picked = field.picklistValues.find((p) => p.defaultValue);
  return picked ? picked.value : null;
}

export function insertRecord(
  ctx: DmlContext,
  state: ObjectState,
  input: DmlInput,
  format: InputFormat,
): DmlResult {
  if (!state.def.createable) {
    return failure([
      {
        statusCode: "INVALID_TYPE",
        message: `entity type cannot be inserted: ${state.def.label}`,
        fields: [],
      },
    ]);
  }
  const { changes, errors } = collect(ctx, state, input, format, "insert");
  if (errors.length > 0) return failure(errors);
  const values: Record<string, Value> = {};
  for (const name of state.storedFields) {
    const field = state.field(name) as FieldDef;
    values[name] = changes.has(name) ? (changes.get(name) as Value) : defaultValue(ctx, field);
  }
  const missing = state.def.fields
    .filter((f) => f.createable && !f.nillable && !f.defaultedOnCreate && f.type !== "boolean")
    .filter((f) => values[f.name] === null || values[f.name] === undefined)
    .map((f) => f.name);
  if (missing.length > 0) return failure([dmlErrors.requiredFieldMissing(missing)]);
  const duplicate = checkUnique(state, changes);
  if (duplicate) return failure([duplicate]);
  Object.assign(values, state.autoNumberValues(state.table.highWater + 1), stamps(ctx, state, true));
  const row = state.table.insert(values);
  return { id: row.id, success: true, created: true, errors: [] };
}

/** Find a live row of this object by an input Id, or the error Salesforce gives for it. */
function findTarget(
  ctx: DmlContext,
  state: ObjectState,
  raw: unknown,
  options: { includeDeleted?: boolean } = {},
): { row: Row } | { result: DmlResult } {
  const text = String(raw);
  const id = normalizeId(text);
  if (!id || id.slice(0, 3) !== state.def.keyPrefix) {
    return { result: failure([dmlErrors.malformedId(`${state.def.label} ID`, text, "Id")]) };
  }
  const row = state.table.find(id);
  if (!row) return { result: failure([dmlErrors.invalidCrossReference()], id) };
  if (!options.includeDeleted && row.get("IsDeleted") === true) {
    return { result: failure([dmlErrors.entityIsDeleted()], id) };
  }
  const lockError = takeLock(ctx, id);
  if (lockError) return { result: failure([lockError], id) };
  return { row };
}

export function updateRecord(
  ctx: DmlContext,
  state: ObjectState,
  input: DmlInput,
  format: InputFormat,
): DmlResult {
  const idKey = inputKey(input, "Id");
  const rawId = idKey === undefined ? undefined : input[idKey];
  if (isBlank(rawId, format)) return failure([dmlErrors.missingId()]);
  const target = findTarget(ctx, state, rawId);
  if ("result" in target) return target.result;
  const { row } = target;
  const { changes, errors } = collect(ctx, state, input, format, "update");
  if (errors.length > 0) return failure(errors, row.id);
  const missing = [...changes]
    .filter(([name, value]) => {
      const field = state.field(name) as FieldDef;
      return value === null && !field.nillable && field.type !== "boolean";
    })
    .map(([name]) => name);
  if (missing.length > 0) return failure([dmlErrors.requiredFieldMissing(missing)], row.id);
  const duplicate = checkUnique(state, changes, row.counter);
  if (duplicate) return failure([duplicate], row.id);
  const stored: StoredRow = state.table.materialize(row, state.storedFields);
  state.table.write(stored, { ...Object.fromEntries(changes), ...stamps(ctx, state, false) });
  return { id: row.id, success: true, errors: [] };
}

export function upsertRecord(
  ctx: DmlContext,
  state: ObjectState,
  externalIdField: string,
  input: DmlInput,
  format: InputFormat,
): DmlResult {
  const key = state.field(externalIdField);
  if (!key) {
    throw new OrgError(
      "NOT_FOUND",
      `Provided external ID field does not exist or is not accessible: ${externalIdField}`,
    );
  }
  if (!key.externalId && !key.idLookup) {
    throw new OrgError(
      "INVALID_FIELD",
      `Field name provided, ${key.name} is not an External ID or indexed field for ${state.def.name}`,
      [key.name],
    );
  }
  const inputName = inputKey(input, key.name);
  const raw = inputName === undefined ? undefined : input[inputName];
  if (key.type === "id") {
    if (isBlank(raw, format)) {
      const rest = { ...input };
      if (inputName !== undefined) delete rest[inputName];
      return insertRecord(ctx, state, rest, format);
    }
    const result = updateRecord(ctx, state, input, format);
    return { ...result, created: false };
  }
  if (isBlank(raw, format)) return failure([dmlErrors.missingExternalId(key.name)]);
  const coerced = coerce(key, raw, format, 1, false);
  if (coerced.kind === "error") return failure([coerced.error]);
  if (coerced.kind === "unchanged" || coerced.value === null)
    return failure([dmlErrors.missingExternalId(key.name)]);
  const matches = state.table.lookup(key.name, coerced.value, key.caseSensitive);
  if (matches.length > 1)
    return failure([
      dmlErrors.duplicateExternalId(
        key,
        matches.map((r) => r.id),
      ),
    ]);
  const match = matches[0];
  if (!match) return insertRecord(ctx, state, input, format);
  const result = updateRecord(ctx, state, { ...input, Id: match.id }, format);
  return { ...result, created: false };
}

export function deleteRecord(ctx: DmlContext, state: ObjectState, rawId: string): DmlResult {
  if (!state.def.deletable) {
    return failure([
      {
        statusCode: "INSUFFICIENT_ACCESS_OR_READONLY",
        message: "insufficient access rights on object id",
        fields: [],
      },
    ]);
  }
  const target = findTarget(ctx, state, rawId);
  if ("result" in target) return target.result;
  const { row } = target;
  if (!state.hasRecycleBin) {
    // No recycle bin: the row is gone at once, as after a hard delete; only the delete log knows it.
    state.table.remove(row);
    ctx.deleted(state, row.id, ctx.now(), false);
    return { id: row.id, success: true, errors: [] };
  }
  const changes: Record<string, Value> = { ...stamps(ctx, state, false), IsDeleted: true };
  state.table.write(state.table.materialize(row, state.storedFields), changes);
  // The delete log dates a deletion by the row's SystemModstamp where it has one.
  const at = typeof changes.SystemModstamp === "number" ? changes.SystemModstamp : ctx.now();
  ctx.deleted(state, row.id, at, true);
  return { id: row.id, success: true, errors: [] };
}

export function hardDeleteRecord(ctx: DmlContext, state: ObjectState, rawId: string): DmlResult {
  const target = findTarget(ctx, state, rawId, { includeDeleted: true });
  if ("result" in target) return target.result;
  const { row } = target;
  // A row already in the recycle bin was logged when it went there; purging it adds nothing.
  const logged = row.get("IsDeleted") === true;
  state.table.remove(row);
  if (!logged) ctx.deleted(state, row.id, ctx.now(), false);
  return { id: row.id, success: true, errors: [] };
}
