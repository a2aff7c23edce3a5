/** DML results and inputs in their REST wire forms. */
import type { DmlError, DmlResult, FieldDef, ObjectDef, Value } from "../org/types";
import { ApiError } from "./api-error";

/** A JSON record body as DML input: `attributes` dropped (it is metadata, not a field). */
export function dmlInput(record: Record<string, unknown>): Record<string, unknown> {
  const { attributes: _attributes, ...fields } = record;
  return fields;
}

/** One item of an sObject Collections response (errors use `statusCode`). */
export function collectionItem(result: DmlResult, withCreated: boolean): Record<string, unknown> {
  const item: Record<string, unknown> = {
    id: result.id,
    success: result.success,
    errors: result.errors.map((e) => ({ statusCode: e.statusCode, message: e.message, fields: e.fields })),
  };
  if (withCreated && result.success) item.created = result.created ?? false;
  return item;
}

/** A failed single-record DML as the REST error array (errors use `errorCode`). */
export function dmlFailure(result: DmlResult): ApiError {
  const first: DmlError = result.errors[0] ?? {
    statusCode: "UNKNOWN_EXCEPTION",
    message: "DML failed",
    fields: [],
  };
  const status = first.statusCode === "ENTITY_IS_DELETED" || first.statusCode === "NOT_FOUND" ? 404 : 400;
  return new MultiApiError(status, result.errors.length > 0 ? result.errors : [first]);
}

/** An error response listing several errors, as a failed DML sends them. */
export class MultiApiError extends ApiError {
  constructor(
    status: number,
    readonly errors: DmlError[],
  ) {
    const first = errors[0] as DmlError;
    super(status, first.statusCode, first.message, first.fields);
  }

  override toBody(): Array<Record<string, unknown>> {
    return this.errors.map((e) => ({ message: e.message, errorCode: e.statusCode, fields: e.fields }));
  }
}

export const ROLLED_BACK: DmlError = {
  statusCode: "ALL_OR_NONE_OPERATION_ROLLED_BACK",
  message: "Record rolled back because not all records were valid and the request was using AllOrNone header",
  fields: [],
};

/** A stored (canonical) value as REST JSON input, to write a snapshot back. */
export function jsonInputValue(field: FieldDef | undefined, value: Value): unknown {
  if (value === null || field === undefined) return value;
  if (field.type === "datetime" && typeof value === "number") return new Date(value).toISOString();
  return value;
}

export function fieldOf(def: ObjectDef, name: string): FieldDef | undefined {
  const wanted = name.toLowerCase();
  return def.fields.find((f) => f.name.toLowerCase() === wanted);
}
