/**
 * sObject Collections (`/composite/sobjects`): create (POST), update (PATCH), upsert (PATCH
 * `/{Object}/{ExternalIdField}`), delete (DELETE `?ids=&allOrNone=`). At most 200 records; one result
 * per input in input order; per-item errors; `allOrNone` undoes the successes and reports them
 * `ALL_OR_NONE_OPERATION_ROLLED_BACK`.
 */
import type { DmlResult, ObjectDef, Org, Value } from "../org/types";
import { ApiError } from "./api-error";
import { jsonObjectBody, type RequestContext, type Services } from "./context";
import { collectionItem, dmlInput, fieldOf, jsonInputValue, ROLLED_BACK } from "./dml-format";
import { looksLikeId } from "./ids";
import { orgCall } from "./org-errors";
import { json, type Reply } from "./reply";
import { objectDef } from "./rest-sobjects";

const MAX_RECORDS = 200;

const tooMany = (): ApiError =>
  new ApiError(
    400,
    "EXCEEDED_ID_LIMIT",
    `record limit reached. cannot submit more than ${MAX_RECORDS} records into this call`,
  );

const failure = (statusCode: string, message: string, fields: string[] = []): DmlResult => ({
  id: null,
  success: false,
  errors: [{ statusCode, message, fields }],
});

/** How to take back one successful write when allOrNone fails. */
type Undo = () => void;

interface Body {
  allOrNone: boolean;
  records: Array<Record<string, unknown>>;
}

async function collectionBody(ctx: RequestContext): Promise<Body> {
  const body = await jsonObjectBody(ctx);
  if (!Array.isArray(body.records)) {
    throw new ApiError(400, "JSON_PARSER_ERROR", "The request body must contain a 'records' array.");
  }
  if (body.records.length > MAX_RECORDS) throw tooMany();
  const records = body.records.map((r) => (typeof r === "object" && r !== null ? r : {})) as Array<
    Record<string, unknown>
  >;
  return { allOrNone: body.allOrNone === true, records };
}

function recordType(record: Record<string, unknown>): string | undefined {
  const attributes = record.attributes;
  if (typeof attributes !== "object" || attributes === null) return undefined;
  const type = (attributes as Record<string, unknown>).type;
  return typeof type === "string" ? type : undefined;
}

export class RestCollections {
  constructor(private readonly services: Services) {}

  private get org(): Org {
    return this.services.org;
  }

  /** Resolves each record's `attributes.type`, describing the org once per request. */
  private typer(): (record: Record<string, unknown>) => ObjectDef | DmlResult {
    const byName = new Map(this.org.listObjects().map((o) => [o.name.toLowerCase(), o] as const));
    return (record) => {
      const type = recordType(record);
      if (type === undefined) return failure("INVALID_TYPE", "Must send a concrete entity type.");
      return (
        byName.get(type.toLowerCase()) ?? failure("INVALID_TYPE", `sObject type '${type}' is not supported.`)
      );
    };
  }

  async create(ctx: RequestContext): Promise<Reply> {
    const body = await collectionBody(ctx);
    const typed = this.typer();
    const results = this.apply(body, (record) => {
      const def = typed(record);
      if ("success" in def) return { result: def };
      const input = dmlInput(record);
      if ("Id" in input || "id" in input) {
        return { result: failure("INVALID_FIELD", "cannot specify Id in an insert call", ["Id"]) };
      }
      const result = orgCall(() => this.org.insert(def.name, input, "json"));
      const id = result.id;
      return { result, undo: id === null ? undefined : () => this.org.undoInsert(def.name, id) };
    });
    return json(
      200,
      results.map((r) => collectionItem(r, false)),
    );
  }

  async update(ctx: RequestContext): Promise<Reply> {
    const body = await collectionBody(ctx);
    const typed = this.typer();
    const results = this.apply(body, (record) => {
      const def = typed(record);
      if ("success" in def) return { result: def };
      const { id: lowerId, Id: upperId, ...fields } = dmlInput(record);
      const id = typeof upperId === "string" ? upperId : typeof lowerId === "string" ? lowerId : undefined;
      if (id === undefined)
        return { result: failure("MISSING_ARGUMENT", "Id not specified in an update call", ["Id"]) };
      const undo = this.snapshot(def, id, Object.keys(fields));
      const result = orgCall(() => this.org.update(def.name, { ...fields, Id: id }, "json"));
      return { result, undo };
    });
    return json(
      200,
      results.map((r) => collectionItem(r, false)),
    );
  }

  async upsert(ctx: RequestContext): Promise<Reply> {
    const def = objectDef(this.org, ctx.params.object);
    const field = fieldOf(def, ctx.params.field ?? "");
    if (field === undefined || !(field.externalId || field.idLookup)) {
      throw new ApiError(
        404,
        "NOT_FOUND",
        `Provided external ID field does not exist or is not accessible: ${ctx.params.field ?? ""}`,
      );
    }
    const body = await collectionBody(ctx);
    const existing = body.allOrNone ? this.existingByExternalId(def, field.name, body.records) : new Map();
    const results = this.apply(body, (record) => {
      const input = dmlInput(record);
      const result = orgCall(() => this.org.upsert(def.name, field.name, input, "json"));
      const id = result.id;
      let undo: Undo | undefined;
      if (id !== null && result.created === true) undo = () => this.org.undoInsert(def.name, id);
      else if (id !== null) {
        const before = existing.get(id);
        if (before !== undefined) undo = () => this.restore(def, id, before, Object.keys(input));
      }
      return { result, undo };
    });
    return json(
      200,
      results.map((r) => collectionItem(r, true)),
    );
  }

  remove(ctx: RequestContext): Reply {
    const ids = (ctx.query.get("ids") ?? "").split(",").filter((id) => id !== "");
    if (ids.length > MAX_RECORDS) throw tooMany();
    const allOrNone = ctx.query.get("allOrNone") === "true";
    const byPrefix = new Map(this.org.listObjects().map((o) => [o.keyPrefix, o] as const));
    const objectOf = (id: string): ObjectDef | undefined => byPrefix.get(id.slice(0, 3));
    const precheck = (id: string): DmlResult | undefined => {
      if (!looksLikeId(id)) return failure("MALFORMED_ID", `malformed id ${id}`, []);
      const def = objectOf(id);
      if (def === undefined) return failure("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id");
      if (this.org.get(def.name, id) !== undefined) return undefined;
      if (this.org.get(def.name, id, { includeDeleted: true }) !== undefined) {
        return failure("ENTITY_IS_DELETED", "entity is deleted");
      }
      return failure("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id");
    };
    const withId = (id: string, result: DmlResult): DmlResult => ({ ...result, id });
    if (allOrNone) {
      // A delete cannot be taken back, so allOrNone checks every row before deleting any.
      const problems = ids.map(precheck);
      if (problems.some((p) => p !== undefined)) {
        return json(
          200,
          ids.map((id, i) =>
            collectionItem(withId(id, problems[i] ?? { id, success: false, errors: [ROLLED_BACK] }), false),
          ),
        );
      }
    }
    const results = ids.map((id) => {
      const problem = precheck(id);
      if (problem !== undefined) return withId(id, problem);
      const def = objectOf(id) as ObjectDef;
      return orgCall(() => this.org.delete(def.name, id));
    });
    return json(
      200,
      results.map((r) => collectionItem(r, false)),
    );
  }

  /** Runs each record; with allOrNone and any failure, undoes the successes and marks them rolled back. */
  private apply(
    body: Body,
    write: (record: Record<string, unknown>) => { result: DmlResult; undo?: Undo | undefined },
  ): DmlResult[] {
    const done = body.records.map(write);
    if (!body.allOrNone || done.every((d) => d.result.success)) return done.map((d) => d.result);
    for (const entry of [...done].reverse()) {
      if (entry.result.success) entry.undo?.();
    }
    return done.map((d) =>
      d.result.success ? { id: null, success: false, errors: [ROLLED_BACK] } : d.result,
    );
  }

  /** How to put back the fields an update is about to change. */
  private snapshot(def: ObjectDef, id: string, fieldNames: string[]): Undo | undefined {
    const before = this.org.get(def.name, id);
    if (before === undefined) return undefined;
    return () => this.restore(def, id, before, fieldNames);
  }

  private restore(def: ObjectDef, id: string, before: Record<string, Value>, fieldNames: string[]): void {
    const input: Record<string, unknown> = { Id: id };
    for (const name of fieldNames) {
      const field = fieldOf(def, name);
      if (field === undefined || !field.updateable) continue;
      input[field.name] = jsonInputValue(field, before[field.name] ?? null);
    }
    this.org.update(def.name, input, "json");
  }

  /** The rows an upsert batch would update, read before writing so allOrNone can restore them. */
  private existingByExternalId(
    def: ObjectDef,
    field: string,
    records: Array<Record<string, unknown>>,
  ): Map<string, Record<string, Value>> {
    const out = new Map<string, Record<string, Value>>();
    const values = records.map((r) => r[field]).filter((v): v is string => typeof v === "string" && v !== "");
    if (values.length === 0) return out;
    const list = values.map((v) => `'${v.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`).join(", ");
    const result = orgCall(() =>
      this.org.query(`SELECT Id FROM ${def.name} WHERE ${field} IN (${list})`, { includeDeleted: false }),
    );
    for (const row of result.rows()) {
      const stored = this.org.get(def.name, row.id);
      if (stored !== undefined) out.set(row.id, stored);
    }
    return out;
  }
}
