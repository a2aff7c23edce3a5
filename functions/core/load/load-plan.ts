import { ConfigurationError, DataError } from "../../errors";
import type { SalesforceClient } from "../../salesforce/client";
import { type DescribeObject, describeObject } from "../../salesforce/describe";
import { buildStream, type CatalogField } from "../catalog";
import { type FieldRules, fieldsMatching } from "../column-controls";
import type { InboundFormat } from "./inbound-file";
import type { LoadTarget } from "./load-state";

/**
 * The load plan: the file's header checked against a fresh describe of the object — every column a
 * field this operation may write, relationship columns pointing at an external id of the referenced
 * object — and each column's field, by which every value is then validated. Any problem here rejects
 * the whole file before anything is sent.
 */

export interface PlanColumn {
  /** The column as the file's header names it. */
  header: string;
  /** The column as sent to Salesforce: the field's API name, or `Relationship.ExternalIdField`. */
  name: string;
  /** The field whose type the values have (for a relationship column: the parent's external id field). */
  field: CatalogField;
  relationship?: {
    /** e.g. `Account` */
    name: string;
    /** e.g. `AccountId` */
    referenceField: string;
    /** The parent object, e.g. `Account`. */
    object: string;
  };
}

export interface LoadPlan {
  object: string;
  operation: LoadTarget["operation"];
  externalIdField?: string;
  format: InboundFormat;
  columns: PlanColumn[];
  /** Index of the `Id` column, or -1. */
  idColumn: number;
}

const DELIMITERS: Array<[string, string]> = [
  [";", "semicolons"],
  ["\t", "tabs"],
  ["|", "vertical bars"],
];

function rejectFile(message: string, column?: number | string, code = "INVALID_HEADER"): DataError {
  return new DataError(message, { code, line: 1, column });
}

async function describeOrReject(
  client: SalesforceClient,
  object: string,
  why: string,
): Promise<DescribeObject> {
  try {
    return await describeObject(client, object);
  } catch (error) {
    if (error instanceof ConfigurationError && (error.status === 404 || error.code === "NOT_FOUND")) {
      throw new DataError(
        `Salesforce has no object named ${object}${why}. Check the spelling (custom objects end in __c) and that the connection's user can see it.`,
        { code: "UNKNOWN_OBJECT", object, cause: error },
      );
    }
    throw error;
  }
}

function canWrite(field: CatalogField, operation: LoadTarget["operation"]): boolean {
  if (operation === "insert") return field.createable;
  if (operation === "update") return field.updateable;
  return field.createable || field.updateable;
}

function writeVerb(operation: LoadTarget["operation"]): string {
  if (operation === "insert") return "set on insert (it is not createable)";
  if (operation === "update") return "changed on update (it is not updateable)";
  return "written (it is neither createable nor updateable)";
}

function delimiterHint(header: string[]): string {
  if (header.length !== 1) return "";
  const only = header[0] ?? "";
  for (const [delimiter, name] of DELIMITERS) {
    if (only.includes(delimiter)) {
      return ` The header is one single column holding ${name}: the file seems to separate fields with ${name}. SaddleData reads comma-separated CSV; save the file with commas as separators.`;
    }
  }
  return "";
}

function objectAllows(describe: DescribeObject, operation: LoadTarget["operation"]): string | undefined {
  if (operation === "insert" && !describe.createable) return "create";
  if (operation === "update" && !describe.updateable) return "update";
  if (operation === "upsert" && !describe.createable && !describe.updateable) return "create or update";
  if ((operation === "delete" || operation === "hardDelete") && !describe.deletable) return "delete";
  return undefined;
}

/** Build the plan; throws DataError (whole file rejected) naming the column and what to do. */
export async function buildLoadPlan(
  client: SalesforceClient,
  target: LoadTarget,
  header: string[],
  format: InboundFormat,
  blockFields?: FieldRules,
): Promise<LoadPlan> {
  const { operation } = target;
  const describe = await describeOrReject(client, target.object, "");
  const denied = objectAllows(describe, operation);
  if (denied) {
    throw new DataError(
      `${describe.name} does not allow this user to ${denied} records, so the ${operation} cannot run. Grant the permission, or load into another object.`,
      { code: "OPERATION_NOT_ALLOWED", object: describe.name },
    );
  }
  const object = buildStream(describe);
  const fields = new Map(object.fields.map((field) => [field.name.toLowerCase(), field]));
  const parents = new Map<string, Map<string, CatalogField>>();
  const columns: PlanColumn[] = [];
  const seen = new Map<string, number>();
  let externalIdField: string | undefined;
  if (operation === "upsert") {
    const wanted = target.externalIdField ?? "";
    const field = fields.get(wanted.toLowerCase());
    if (!field) {
      throw new DataError(
        `${wanted} is not a field of ${describe.name}, so it cannot be the upsert's external id. Put the file under the folder of an external id field of ${describe.name}.`,
        { code: "INVALID_EXTERNAL_ID", object: describe.name, field: wanted },
      );
    }
    if (!field.externalId && !field.idLookup) {
      throw new DataError(
        `${describe.name}.${field.name} is not an external id field, so an upsert cannot match records by it. Mark it External ID in Salesforce, or use a field that is one.`,
        { code: "INVALID_EXTERNAL_ID", object: describe.name, field: field.name },
      );
    }
    externalIdField = field.name;
  }
  const hint = delimiterHint(header);
  if (hint) throw rejectFile(`The header is not a list of ${describe.name} fields.${hint}`, 1);
  const names = header.map((name) => name.trim().split(".")[0]?.toLowerCase() ?? "");
  const relationships = new Set(object.fields.map((field) => field.relationshipName?.toLowerCase()));
  if (header.length > 0 && !names.some((name) => fields.has(name) || relationships.has(name))) {
    throw rejectFile(
      `The first line (${header.map((name) => `'${name}'`).join(", ")}) names no field of ${describe.name}: the file seems to have no header. Add a first line naming the fields of each column, e.g. ${object.fields
        .filter((field) => canWrite(field, operation))
        .slice(0, 3)
        .map((field) => field.name)
        .join(",")}.`,
      undefined,
      "MISSING_HEADER",
    );
  }
  for (const [index, raw] of header.entries()) {
    const column = index + 1;
    const headerName = raw.trim();
    if (headerName === "")
      throw rejectFile(
        `Column ${column} of the header has no name. Name every column after a field.`,
        column,
      );
    const dot = headerName.indexOf(".");
    let planned: PlanColumn;
    if (dot > 0) {
      const relationship = headerName.slice(0, dot);
      const keyName = headerName.slice(dot + 1);
      const reference = object.fields.find(
        (field) =>
          field.sfType === "reference" &&
          field.relationshipName?.toLowerCase() === relationship.toLowerCase(),
      );
      if (!reference?.relationshipName) {
        throw rejectFile(
          `Column '${headerName}' (column ${column}): ${describe.name} has no relationship named ${relationship}. A relationship column is <RelationshipName>.<ExternalIdField>, e.g. Account.ERP_Id__c.${delimiterHint(header)}`,
          column,
        );
      }
      const targets = reference.referenceTo ?? [];
      if (targets.length !== 1) {
        throw rejectFile(
          `Column '${headerName}' (column ${column}): ${reference.name} can point to ${targets.join(", ")}, so a parent cannot be found by an external id here. Give the parent's Id in a ${reference.name} column instead.`,
          column,
        );
      }
      const parentName = targets[0] as string;
      let parentFields = parents.get(parentName);
      if (!parentFields) {
        const parent = buildStream(
          await describeOrReject(client, parentName, `, which ${reference.name} refers to`),
        );
        parentFields = new Map(parent.fields.map((field) => [field.name.toLowerCase(), field]));
        parents.set(parentName, parentFields);
      }
      const key = parentFields.get(keyName.toLowerCase());
      if (!key || (!key.externalId && !key.idLookup)) {
        throw rejectFile(
          `Column '${headerName}' (column ${column}): ${key ? `${parentName}.${key.name} is not an external id field` : `${parentName} has no field ${keyName}`}, so the parent cannot be found by it. Use an external id field of ${parentName}.`,
          column,
        );
      }
      if (operation === "delete" || operation === "hardDelete" || !canWrite(reference, operation)) {
        throw rejectFile(
          `Column '${headerName}' (column ${column}): ${describe.name}.${reference.name} cannot be ${operation === "delete" || operation === "hardDelete" ? "part of a delete" : writeVerb(operation)}. Remove the column.`,
          column,
        );
      }
      planned = {
        header: raw,
        name: `${reference.relationshipName}.${key.name}`,
        field: key,
        relationship: {
          name: reference.relationshipName,
          referenceField: reference.name,
          object: parentName,
        },
      };
    } else {
      const field = fields.get(headerName.toLowerCase());
      if (!field) {
        throw rejectFile(
          `Column '${headerName}' (column ${column}) is not a field of ${describe.name}. Use field API names (custom fields end in __c).${delimiterHint(header)}`,
          column,
          "UNKNOWN_FIELD",
        );
      }
      const isId = field.name === "Id";
      const isKey = field.name === externalIdField;
      if (operation === "delete" || operation === "hardDelete") {
        if (!isId) {
          throw rejectFile(
            `Column '${headerName}' (column ${column}): a ${operation} file holds only the Id column. Remove the other columns.`,
            column,
          );
        }
      } else if (isId && operation === "insert") {
        throw rejectFile(
          `Column 'Id' (column ${column}): an insert creates records, so it cannot take their Id. Remove the column, or use update or upsert.`,
          column,
        );
      } else if (!isId && !isKey && !canWrite(field, operation)) {
        throw rejectFile(
          `Column '${headerName}' (column ${column}): ${describe.name}.${field.name} cannot be ${writeVerb(operation)}. Remove the column.`,
          column,
        );
      }
      planned = { header: raw, name: field.name, field };
    }
    const previous = seen.get(planned.name.toLowerCase());
    if (previous !== undefined) {
      throw rejectFile(
        `Columns ${previous} and ${column} both name ${planned.name}. Keep one of them.`,
        column,
        "DUPLICATE_COLUMN",
      );
    }
    seen.set(planned.name.toLowerCase(), column);
    columns.push(planned);
  }
  // A field the settings' blockFields block is never written either (nor selected, landed or in a table).
  const blocked = new Set(fieldsMatching(object, blockFields, "blockFields", false));
  for (const [index, planned] of columns.entries()) {
    const written = planned.relationship?.referenceField ?? planned.name;
    if (blocked.has(written)) {
      throw rejectFile(
        `Column '${planned.header.trim()}' (column ${index + 1}): ${describe.name}.${written} is blocked by blockFields in the connection's settings, so SaddleData never writes it (nor reads it). Remove the column, or take the field out of blockFields.`,
        index + 1,
        "BLOCKED_FIELD",
      );
    }
  }
  const idColumn = columns.findIndex((column) => column.name === "Id");
  const needs =
    operation === "update" || operation === "delete" || operation === "hardDelete"
      ? "Id"
      : operation === "upsert"
        ? (externalIdField as string)
        : undefined;
  if (needs && !columns.some((column) => column.name === needs)) {
    throw rejectFile(
      `A${operation === "update" ? "n" : ""} ${operation} file needs a ${needs} column to find the records; the header (${header.join(", ")}) has none.${delimiterHint(header)}`,
      undefined,
      "MISSING_KEY_COLUMN",
    );
  }
  const plan: LoadPlan = { object: describe.name, operation, format, columns, idColumn };
  if (externalIdField) plan.externalIdField = externalIdField;
  return plan;
}
