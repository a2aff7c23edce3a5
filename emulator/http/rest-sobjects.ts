/**
 * REST resources about objects and single records: describeGlobal, describe, `sobjects/{Object}`
 * (info, create), `sobjects/{Object}/{id}` (read, update, delete), upsert and read by external id,
 * and base64 blobs (`sobjects/{Object}/{id}/{Field}` returns the bytes).
 */
import type { FieldDef, ObjectDef, Org, Value } from "../org/types";
import { ApiError, notFound } from "./api-error";
import { jsonObjectBody, type RequestContext, type Services } from "./context";
import { describeGlobal, describeObject, globalEntry } from "./describe-format";
import { dmlFailure, dmlInput, fieldOf } from "./dml-format";
import { looksLikeId } from "./ids";
import { orgCall } from "./org-errors";
import { json, noContent, type Reply } from "./reply";
import { type JsonRecord, recordUrl, restValue } from "./rest-records";

export function objectDef(org: Org, name: string | undefined): ObjectDef {
  // An unknown object in a REST path is a missing resource.
  const wanted = (name ?? "").toLowerCase();
  const def = org.listObjects().find((o) => o.name.toLowerCase() === wanted);
  if (def === undefined) throw notFound();
  return def;
}

const malformedId = (def: ObjectDef, id: string): ApiError =>
  new ApiError(400, "MALFORMED_ID", `${def.label} ID: id value of incorrect type: ${id}`, ["Id"]);

/** The record Id from a path segment: 404 when it is not Id-shaped, 400 MALFORMED_ID for another object's Id. */
function recordId(def: ObjectDef, segment: string | undefined): string {
  const id = segment ?? "";
  if (!looksLikeId(id)) {
    throw new ApiError(
      404,
      "NOT_FOUND",
      `Provided external ID field does not exist or is not accessible: ${id}`,
    );
  }
  if (id.slice(0, 3) !== def.keyPrefix) throw malformedId(def, id);
  return id;
}

/** The JSON key of an address/location component (`BillingPostalCode` → `postalCode`). */
function componentKey(compound: string, component: string): string {
  const base = compound.endsWith("Address")
    ? compound.slice(0, -"Address".length)
    : compound.replace(/c$/, "");
  const rest = (component.startsWith(base) ? component.slice(base.length) : component).replace(/__s$/, "");
  return rest.charAt(0).toLowerCase() + rest.slice(1);
}

function compoundValue(def: ObjectDef, field: FieldDef, stored: Record<string, Value>): JsonRecord | null {
  const parts = def.fields
    .filter((f) => f.compoundFieldName === field.name)
    .map((f) => [componentKey(field.name, f.name), stored[f.name] ?? null] as const)
    .sort(([a], [b]) => a.localeCompare(b));
  if (parts.every(([, value]) => value === null)) return null;
  return Object.fromEntries(parts);
}

function soqlString(value: string): string {
  return `'${value.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
}

export class RestSObjects {
  constructor(private readonly services: Services) {}

  private get org(): Org {
    return this.services.org;
  }

  describeGlobal(ctx: RequestContext): Reply {
    return json(200, describeGlobal(this.org, ctx.version));
  }

  describe(ctx: RequestContext): Reply {
    const def = objectDef(this.org, ctx.params.object);
    return json(200, describeObject(this.org, def, ctx.version));
  }

  info(ctx: RequestContext): Reply {
    const def = objectDef(this.org, ctx.params.object);
    return json(200, { objectDescribe: globalEntry(def, ctx.version), recentItems: [] });
  }

  async create(ctx: RequestContext): Promise<Reply> {
    const def = objectDef(this.org, ctx.params.object);
    const body = await jsonObjectBody(ctx);
    const result = orgCall(() => this.org.insert(def.name, dmlInput(body), "json"));
    if (!result.success) throw dmlFailure(result);
    return json(201, { id: result.id, success: true, errors: [] });
  }

  read(ctx: RequestContext): Reply {
    const def = objectDef(this.org, ctx.params.object);
    const id = recordId(def, ctx.params.id);
    return json(200, this.record(def, id, ctx.version, ctx.query.get("fields")));
  }

  async update(ctx: RequestContext): Promise<Reply> {
    const def = objectDef(this.org, ctx.params.object);
    const id = recordId(def, ctx.params.id);
    const body = await jsonObjectBody(ctx);
    const result = orgCall(() => this.org.update(def.name, { ...dmlInput(body), Id: id }, "json"));
    if (!result.success) throw dmlFailure(result);
    return noContent();
  }

  remove(ctx: RequestContext): Reply {
    const def = objectDef(this.org, ctx.params.object);
    const id = recordId(def, ctx.params.id);
    const result = orgCall(() => this.org.delete(def.name, id));
    if (!result.success) throw dmlFailure(result);
    return noContent();
  }

  /** GET sobjects/{Object}/{ExternalIdField}/{value} or sobjects/{Object}/{id}/{Base64Field}. */
  readNested(ctx: RequestContext): Reply {
    const def = objectDef(this.org, ctx.params.object);
    const first = ctx.params.first ?? "";
    const second = ctx.params.second ?? "";
    const lookupField = fieldOf(def, first);
    if (lookupField !== undefined && (lookupField.externalId || lookupField.idLookup)) {
      const id = this.findByExternalId(def, lookupField, second);
      return json(200, this.record(def, id, ctx.version, ctx.query.get("fields")));
    }
    const id = recordId(def, first);
    const field = fieldOf(def, second);
    if (field === undefined || field.type !== "base64") throw notFound();
    const stored = this.org.get(def.name, id);
    const value = stored?.[field.name];
    if (typeof value !== "string") throw notFound();
    return {
      status: 200,
      headers: { "Content-Type": "application/octetstream" },
      body: Buffer.from(value, "base64"),
    };
  }

  /** PATCH sobjects/{Object}/{ExternalIdField}/{value}: upsert one record. */
  async upsert(ctx: RequestContext): Promise<Reply> {
    const def = objectDef(this.org, ctx.params.object);
    const field = fieldOf(def, ctx.params.first ?? "");
    if (field === undefined) {
      throw new ApiError(
        404,
        "NOT_FOUND",
        `Provided external ID field does not exist or is not accessible: ${ctx.params.first ?? ""}`,
      );
    }
    const body = await jsonObjectBody(ctx);
    const input = { ...dmlInput(body), [field.name]: ctx.params.second ?? "" };
    const result = orgCall(() => this.org.upsert(def.name, field.name, input, "json"));
    if (!result.success) throw dmlFailure(result);
    const created = result.created === true;
    return json(created ? 201 : 200, { id: result.id, success: true, errors: [], created });
  }

  private findByExternalId(def: ObjectDef, field: FieldDef, value: string): string {
    const soql = `SELECT Id FROM ${def.name} WHERE ${field.name} = ${soqlString(value)}`;
    const result = orgCall(() => this.org.query(soql, { includeDeleted: false }));
    const ids = [...result.rows()].map((row) => row.id);
    if (ids.length === 0) throw notFound();
    if (ids.length > 1) {
      throw new ApiError(300, "MULTIPLE_CHOICES", `More than one record found for ${field.name}: ${value}`);
    }
    return ids[0] as string;
  }

  /** One record with every field (or the `fields` asked for), as GET returns it. */
  record(def: ObjectDef, id: string, version: string, fieldsParam: string | null): JsonRecord {
    const stored = this.org.get(def.name, id);
    if (stored === undefined) {
      if (this.org.get(def.name, id, { includeDeleted: true }) !== undefined) {
        throw new ApiError(404, "ENTITY_IS_DELETED", "entity is deleted", []);
      }
      throw notFound();
    }
    const fields =
      fieldsParam === null
        ? def.fields
        : fieldsParam.split(",").map((name) => {
            const field = fieldOf(def, name.trim());
            if (field === undefined) {
              throw new ApiError(
                400,
                "INVALID_FIELD",
                `No such column '${name.trim()}' on entity '${def.name}'.`,
              );
            }
            return field;
          });
    // Formula fields are computed on read, so the stored values may not hold them.
    const missing = fields.filter(
      (f) => !(f.name in stored) && f.type !== "address" && f.type !== "location",
    );
    const values: Record<string, Value> = { ...stored };
    if (missing.length > 0) {
      const soql = `SELECT ${missing.map((f) => f.name).join(", ")} FROM ${def.name} WHERE Id = ${soqlString(id)}`;
      const result = orgCall(() => this.org.query(soql, { includeDeleted: false }));
      for (const row of result.rows()) {
        result.columns.forEach((column, index) => {
          const value = row.values[index];
          values[column.field.name] =
            value === undefined || (typeof value === "object" && value !== null) ? null : value;
        });
      }
    }
    const out: JsonRecord = { attributes: { type: def.name, url: recordUrl(version, def.name, id) } };
    const owner = { version, objectName: def.name, id };
    for (const field of fields) {
      out[field.name] =
        field.type === "address" || field.type === "location"
          ? compoundValue(def, field, values)
          : restValue(field, values[field.name] ?? null, owner);
    }
    return out;
  }
}
