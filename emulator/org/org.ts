// emulator/org/: the in-memory org: schema, rows, DML, clock, the seeded demo org
/**
 * The org: schema, rows, clock, DML and SOQL behind the `Org` contract. Everything is in memory and
 * deterministic for a given seed (Ids, generated data); only the clock follows real time unless set.
 */
import { runQuery } from "../soql/engine";
import type { QueryRow, QuerySource } from "../soql/source";
import { createClock } from "./clock";
import { DEFAULT_MAX_IDS, RETENTION_MS } from "./deletions";
import {
  type DmlContext,
  deleteRecord,
  hardDeleteRecord,
  insertRecord,
  updateRecord,
  upsertRecord,
} from "./dml";
import { buildGenerators } from "./generate";
import { encodeBase62, makeId, normalizeId } from "./ids";
import { ObjectState } from "./object-state";
import { hash32, hashString } from "./random";
import {
  field as buildField,
  object as buildObject,
  cloneField,
  name as nameField,
  systemFields,
} from "./schema";
import { userObject } from "./standard-objects";
import type { Row } from "./table";
import type {
  DeleteLogSettings,
  DmlInput,
  DmlResult,
  FieldDef,
  FieldType,
  GenerateOptions,
  InputFormat,
  ObjectDef,
  Org,
  QueryOptions,
  QueryResult,
  Value,
} from "./types";
import { OrgError } from "./types";
import { coerceJson, validate } from "./values";

export interface CreateOrgOptions {
  /** Seed for Ids and generated values (default 1). */
  seed?: number;
  /** The clock's start (epoch ms); default: real time. */
  now?: number;
  /** Start with the clock frozen at `now`. */
  frozen?: boolean;
  /** The org's objects; a standard User object is added when missing (audit fields point to it). */
  objects?: ObjectDef[];
  /** The running (integration) user's Username; default `admin@<org id>.example.com`. */
  runningUsername?: string;
}

/** The emulator's Org, with a few extras the demo and tests use. */
export interface EmulatorOrg extends Org {
  readonly userId: string;
  readonly seed: number;
  /** Insert a row without validation or stamping (seeding read-only objects such as histories). */
  seedRow(objectName: string, values: Record<string, Value>): string;
}

const NOT_FOUND_MESSAGE = "The requested resource does not exist";

function cloneObject(def: ObjectDef): ObjectDef {
  return { ...structuredClone({ ...def, fields: [] }), fields: def.fields.map(cloneField) };
}

function publicCopy<T>(value: T): T {
  return structuredClone(value);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

export function createOrg(options: CreateOrgOptions = {}): EmulatorOrg {
  const seed = options.seed ?? 1;
  const clock = createClock(options.now, { frozen: options.frozen });
  const pod = encodeBase62(hash32(seed, 0x90d) % 3844, 2);
  const orgId = makeId("00D", pod, 100_000_000 + (hash32(seed, 0x0d) % 900_000_000));
  const objects = new Map<string, ObjectState>();
  const byPrefix = new Map<string, ObjectState>();
  /** A live record by Id, whatever its object (what a formula reads through a lookup). */
  const liveRecord = (id: string) => {
    if (typeof id !== "string" || id.length < 15) return undefined;
    const row = byPrefix.get(id.slice(0, 3))?.table.find(id);
    return row && row.get("IsDeleted") !== true ? row : undefined;
  };
  const locks = new Map<string, number>();
  let userId = "";
  let customPrefixes = 0;
  // Every request looks objects up through listObjects: one frozen copy of the schema, made again only
  // when it changes, rather than a deep copy of every object per call (tens of ms with 1,000 objects).
  let schemaCopy: readonly ObjectDef[] | undefined;
  const schemaChanged = () => {
    schemaCopy = undefined;
  };
  const deleteLogSettings: DeleteLogSettings = { maxIds: DEFAULT_MAX_IDS, coverageLagMs: 0 };
  // The earliest time a row is due to leave a recycle bin: reads and writes check the clock against
  // it (one comparison) and only then take the aged rows out.
  let nextBinExpiry = Number.POSITIVE_INFINITY;

  function binned(target: ObjectState, id: string, at: number): void {
    target.recycleBin.add(id, at);
    nextBinExpiry = Math.min(nextBinExpiry, at + RETENTION_MS);
  }

  /** Removes the rows of `ids` that are still in the recycle bin; returns how many went. */
  function purgeBinned(target: ObjectState, ids: readonly string[]): number {
    let purged = 0;
    for (const id of ids) {
      const row = target.table.find(id);
      if (row === undefined || row.get("IsDeleted") !== true) continue;
      target.table.remove(row);
      purged++;
    }
    return purged;
  }

  /** Soft-deleted rows leave the recycle bin (and queryAll) 15 days after their deletion. */
  function ageRecycleBins(): void {
    const now = clock.now();
    if (now < nextBinExpiry) return;
    let next = Number.POSITIVE_INFINITY;
    for (const target of objects.values()) {
      purgeBinned(target, target.recycleBin.takeExpired(now));
      next = Math.min(next, target.recycleBin.nextExpiry());
    }
    nextBinExpiry = next;
  }

  function register(def: ObjectDef): ObjectState {
    schemaChanged();
    const lower = def.name.toLowerCase();
    if (objects.has(lower))
      throw new OrgError("DUPLICATE_DEVELOPER_NAME", `Object ${def.name} already exists`);
    if (byPrefix.has(def.keyPrefix)) {
      throw new OrgError("DUPLICATE_VALUE", `Key prefix ${def.keyPrefix} is already used by another object`);
    }
    const counterBase = 100_000_000 + (hash32(seed, hashString(def.keyPrefix)) % 900_000_000);
    const state = new ObjectState(def, pod, counterBase, () => clock.now(), liveRecord);
    objects.set(lower, state);
    byPrefix.set(def.keyPrefix, state);
    return state;
  }

  function state(objectName: string): ObjectState {
    const found = objects.get(objectName.toLowerCase());
    if (!found) throw new OrgError("NOT_FOUND", NOT_FOUND_MESSAGE);
    return found;
  }

  for (const def of options.objects ?? []) register(cloneObject(def));
  if (!objects.has("user")) register(userObject());

  const users = state("User");
  {
    const now = clock.now();
    const values: Record<string, Value> = {};
    for (const name of users.storedFields) values[name] = null;
    const firstId = users.table.idFor(users.table.highWater + 1);
    Object.assign(values, {
      Username: options.runningUsername ?? `admin@${orgId.slice(0, 15).toLowerCase()}.example.com`,
      LastName: "Admin",
      FirstName: "Integration",
      Email: "admin@example.com",
      Alias: "admin",
      IsActive: true,
      TimeZoneSidKey: "America/Los_Angeles",
      LocaleSidKey: "en_US",
      LanguageLocaleKey: "en_US",
      CreatedDate: now,
      LastModifiedDate: now,
      SystemModstamp: now,
      CreatedById: firstId,
      LastModifiedById: firstId,
    });
    for (const key of Object.keys(values)) if (!users.has(key)) delete values[key];
    userId = users.table.insert(values).id;
  }

  const dml: DmlContext = {
    objectByPrefix: (prefix) => byPrefix.get(prefix),
    objectByName: (name) => objects.get(name.toLowerCase()),
    now: () => clock.now(),
    userId: () => userId,
    locks,
    deleted(target, id, at, toBin) {
      target.deleteLog.record(id, at);
      if (toBin) binned(target, id, at);
    },
  };

  const source: QuerySource = {
    findObject: (name) => objects.get(name.toLowerCase())?.def,
    open(objectName, includeDeleted) {
      ageRecycleBins();
      const table = state(objectName).table;
      const highWater = table.highWater;
      return () => table.scan(includeDeleted, highWater);
    },
    now: () => clock.now(),
    findRow(id18): QueryRow | undefined {
      const owner = byPrefix.get(id18.slice(0, 3));
      const row = owner?.table.find(id18);
      return row && row.get("IsDeleted") !== true ? row : undefined;
    },
  };

  function findRowAnywhere(objectName: string, id: string) {
    ageRecycleBins();
    const owner = state(objectName);
    const canonical = normalizeId(id);
    return canonical ? { owner, row: owner.table.find(canonical) } : { owner, row: undefined };
  }

  const org: EmulatorOrg = {
    orgId,
    clock,
    seed,
    get userId() {
      return userId;
    },

    listObjects: () => {
      schemaCopy ??= [...objects.values()].map((s) => deepFreeze(publicCopy(s.def)));
      return [...schemaCopy];
    },
    describe: (objectName) => publicCopy(state(objectName).def),

    addObject(partial) {
      if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(partial.name)) {
        throw new OrgError("INVALID_TYPE", `Invalid object name: ${partial.name}`);
      }
      let keyPrefix = partial.keyPrefix;
      // Three characters, as Salesforce's: aA0… first, then on through b00…, c00… (62² a letter), so an
      // org of thousands of custom objects still gets well-formed record Ids.
      while (!keyPrefix || byPrefix.has(keyPrefix)) {
        const index = 62 * 10 + customPrefixes++;
        keyPrefix = `${String.fromCharCode(97 + Math.floor(index / 3844))}${encodeBase62(index % 3844, 2)}`;
      }
      const label = partial.label ?? partial.name.replace(/__c$/i, "").replace(/_/g, " ");
      const given = (partial.fields ?? []).map((f) => buildField(f.type, f.name, f));
      const system = systemFields(label, { owner: true }).filter(
        (f) => !given.some((g) => g.name.toLowerCase() === f.name.toLowerCase()),
      );
      const hasName = given.some((f) => f.name.toLowerCase() === "name");
      const fields = [...system, ...(hasName ? [] : [nameField(`${label} Name`)]), ...given];
      const { fields: _ignored, ...rest } = partial;
      const def = buildObject(partial.name, keyPrefix, fields, { ...rest, label });
      register(def);
      return publicCopy(def);
    },

    addField(objectName, partial, addOptions = {}) {
      ageRecycleBins();
      const target = state(objectName);
      if (target.has(partial.name)) {
        throw new OrgError(
          "DUPLICATE_DEVELOPER_NAME",
          `Field ${partial.name} already exists on ${target.def.name}`,
        );
      }
      const def = buildField(partial.type as FieldType, partial.name, partial);
      // Every value is checked before the schema changes, so a bad one leaves the org as it was.
      const given =
        addOptions.values === undefined
          ? []
          : initialValues(target, def, addOptions.values, (id) => {
              const owner = byPrefix.get(id.slice(0, 3));
              return (
                owner !== undefined && def.referenceTo.includes(owner.def.name) && !!owner.table.find(id)
              );
            });
      target.def.fields.push(def);
      schemaChanged();
      target.table.dropField(def.name);
      target.reindex();
      for (const [row, value] of given) {
        // Granted, not written: the value was there all along, so no audit field moves.
        target.table.write(target.table.materialize(row, target.storedFields), { [def.name]: value });
      }
      return publicCopy(def);
    },

    removeField(objectName, fieldName) {
      const target = state(objectName);
      const def = target.field(fieldName);
      if (!def) throw new OrgError("NOT_FOUND", NOT_FOUND_MESSAGE);
      if (def.name === "Id") throw new OrgError("INVALID_OPERATION", "The Id field cannot be removed");
      const removed = new Set([
        def.name,
        ...target.def.fields.filter((f) => f.compoundFieldName === def.name).map((f) => f.name),
      ]);
      target.def.fields = target.def.fields.filter((f) => !removed.has(f.name));
      schemaChanged();
      for (const name of removed) target.table.dropField(name);
      target.reindex();
    },

    query: (soql: string, queryOptions: QueryOptions): QueryResult => runQuery(source, soql, queryOptions),

    get(objectName, id, getOptions = {}) {
      const { owner, row } = findRowAnywhere(objectName, id);
      if (!row) return undefined;
      if (!getOptions.includeDeleted && row.get("IsDeleted") === true) return undefined;
      const record: Record<string, Value> = {};
      for (const f of owner.def.fields) {
        if (f.type !== "address" && f.type !== "location") record[f.name] = row.get(f.name);
      }
      return record;
    },

    count: (objectName, countOptions = {}) => {
      ageRecycleBins();
      return state(objectName).table.count(countOptions.includeDeleted ?? false);
    },

    insert: (objectName: string, input: DmlInput, format: InputFormat): DmlResult => {
      ageRecycleBins();
      return insertRecord(dml, state(objectName), input, format);
    },
    update: (objectName, input, format) => {
      ageRecycleBins();
      return updateRecord(dml, state(objectName), input, format);
    },
    upsert: (objectName, externalIdField, input, format) => {
      ageRecycleBins();
      return upsertRecord(dml, state(objectName), externalIdField, input, format);
    },
    delete: (objectName, id) => {
      ageRecycleBins();
      return deleteRecord(dml, state(objectName), id);
    },
    hardDelete: (objectName, id) => {
      ageRecycleBins();
      return hardDeleteRecord(dml, state(objectName), id);
    },
    undoInsert(objectName, id) {
      const target = state(objectName);
      const canonical = normalizeId(id);
      const row = canonical ? target.table.find(canonical) : undefined;
      if (row) target.table.remove(row);
    },

    getDeleted(objectName, start, end) {
      ageRecycleBins();
      const target = state(objectName);
      if (!target.def.replicateable) {
        throw new OrgError("INVALID_TYPE", `sObject type ${target.def.name} is not replicable`);
      }
      return target.deleteLog.read(start, end, clock.now(), deleteLogSettings);
    },

    emptyRecycleBin(objectName) {
      ageRecycleBins();
      const targets = objectName === undefined ? [...objects.values()] : [state(objectName)];
      const at = clock.now();
      let emptied = 0;
      for (const target of targets) {
        emptied += purgeBinned(target, target.recycleBin.takeAll());
        target.deleteLog.purge(at);
      }
      return { emptied, at };
    },

    deleteLogSettings(changes = {}) {
      const { maxIds, coverageLagMs } = changes;
      if (maxIds !== undefined && !(Number.isInteger(maxIds) && maxIds >= 0)) {
        throw new RangeError(`maxIds must be a whole number >= 0, got ${maxIds}`);
      }
      if (coverageLagMs !== undefined && !(Number.isFinite(coverageLagMs) && coverageLagMs >= 0)) {
        throw new RangeError(`coverageLagMs must be a number of ms >= 0, got ${coverageLagMs}`);
      }
      if (maxIds !== undefined) deleteLogSettings.maxIds = maxIds;
      if (coverageLagMs !== undefined) deleteLogSettings.coverageLagMs = coverageLagMs;
      return { ...deleteLogSettings };
    },

    generate(objectName, count, generateOptions: GenerateOptions = {}) {
      if (!Number.isInteger(count) || count < 0)
        throw new RangeError(`generate needs a count >= 0, got ${count}`);
      const target = state(objectName);
      const now = clock.now();
      const to = generateOptions.to ?? now;
      const from = generateOptions.from ?? to - 365 * 86_400_000;
      const generators = buildGenerators({
        state: target,
        seed: generateOptions.seed ?? seed,
        from,
        to,
        userIds: sampleIds(users, 200),
        referencePool: (name) => sampleIds(state(name), 1000),
        firstCounter: target.table.highWater + 1,
        count,
      });
      target.table.generate(count, generators);
    },

    touch(objectName, ids, touchOptions = {}) {
      ageRecycleBins();
      const target = state(objectName);
      const at = touchOptions.at ?? clock.now();
      for (const id of ids) {
        const canonical = normalizeId(id);
        const row = canonical ? target.table.find(canonical) : undefined;
        if (!row) throw new OrgError("NOT_FOUND", `No ${target.def.name} with Id ${id}`);
        const stored = target.table.materialize(row, target.storedFields);
        const stamps: Record<string, Value> = {};
        for (const name of ["LastModifiedDate", "SystemModstamp"]) if (target.has(name)) stamps[name] = at;
        target.table.write(stored, stamps);
      }
    },

    lockRows(ids, times = 1) {
      for (const id of ids) {
        const canonical = normalizeId(id);
        if (!canonical) throw new OrgError("MALFORMED_ID", `malformed id ${id}`);
        locks.set(canonical, (locks.get(canonical) ?? 0) + times);
      }
    },

    seedRow(objectName, values) {
      const target = state(objectName);
      const row: Record<string, Value> = {};
      for (const name of target.storedFields) row[name] = null;
      for (const [key, value] of Object.entries(values)) {
        const def = target.field(key);
        if (!def)
          throw new OrgError(
            "INVALID_FIELD",
            `No such column '${key}' on sobject of type ${target.def.name}`,
          );
        row[def.name] = value;
      }
      if (target.has("IsDeleted") && row.IsDeleted === null) row.IsDeleted = false;
      Object.assign(row, target.autoNumberValues(target.table.highWater + 1));
      const id = target.table.insert(row).id;
      if (row.IsDeleted === true) binned(target, id, clock.now());
      return id;
    },
  };
  return org;
}

/**
 * The rows and canonical values of a new field's initial `values` (Id → JSON value), or an OrgError
 * naming the first Id or value that cannot be taken.
 */
function initialValues(
  target: ObjectState,
  field: FieldDef,
  values: Record<string, unknown>,
  referenceExists: (id18: string) => boolean,
): Array<[Row, Value]> {
  const where = `${target.def.name}.${field.name}`;
  const refuse = (message: string): OrgError =>
    new OrgError("INVALID_FIELD", `values for ${where}: ${message}`, [field.name]);
  if (typeof values !== "object" || values === null || Array.isArray(values)) {
    throw refuse("expected an object of record Id to value");
  }
  const computed =
    field.calculated || field.autoNumber || field.type === "address" || field.type === "location";
  if (computed) throw refuse(`a ${field.calculated ? "formula" : field.type} field computes its values`);
  const out: Array<[Row, Value]> = [];
  const seen = new Map<string, string>();
  for (const [rawId, raw] of Object.entries(values)) {
    const id = normalizeId(rawId);
    const row =
      id !== undefined && id.slice(0, 3) === target.def.keyPrefix ? target.table.find(id) : undefined;
    if (row === undefined) throw refuse(`no ${target.def.name} record with Id ${rawId}`);
    const coerced = coerceJson(field, raw);
    if (coerced.kind === "error") {
      throw refuse(
        `${JSON.stringify(raw)} for ${rawId} is not a ${field.type} value (${coerced.error.message})`,
      );
    }
    if (coerced.kind === "unchanged") continue;
    const checked = validate(field, coerced.value);
    if ("error" in checked) throw refuse(`${JSON.stringify(raw)} for ${rawId}: ${checked.error.message}`);
    if (field.type === "reference" && typeof checked.value === "string" && !referenceExists(checked.value)) {
      throw refuse(`${checked.value} for ${rawId} is not a record of ${field.referenceTo.join(" or ")}`);
    }
    if (field.unique && typeof checked.value === "string") {
      const key = field.caseSensitive ? checked.value : checked.value.toLowerCase();
      const other = seen.get(key);
      if (other !== undefined)
        throw refuse(`${rawId} and ${other} hold the same value, and the field is unique`);
      seen.set(key, rawId);
    }
    out.push([row, checked.value]);
  }
  return out;
}

/** Up to `limit` live Ids of an object, spread over its rows, for generated lookups. */
function sampleIds(target: ObjectState, limit: number): string[] {
  const ids: string[] = [];
  for (const row of target.table.scan(false)) {
    ids.push(row.id);
    if (ids.length >= limit) break;
  }
  return ids;
}
