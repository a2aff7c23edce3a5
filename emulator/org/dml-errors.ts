/**
 * Per-record DML errors with the status codes and message wording Salesforce uses, so the HTTP layer
 * can pass them through unchanged (REST `errors[]`, Bulk `sf__Error` as `CODE:message:fields --`).
 */
import type { DmlError, FieldDef } from "./types";

function error(statusCode: string, message: string, fields: string[] = []): DmlError {
  return { statusCode, message, fields };
}

export const dmlErrors = {
  requiredFieldMissing: (fields: string[]) =>
    error("REQUIRED_FIELD_MISSING", `Required fields are missing: [${fields.join(", ")}]`, fields),
  stringTooLong: (field: FieldDef, value: string) =>
    error("STRING_TOO_LONG", `${field.label}: data value too large: ${value} (max length=${field.length})`, [
      field.name,
    ]),
  duplicateValue: (field: FieldDef, existingId: string) =>
    error(
      "DUPLICATE_VALUE",
      `duplicate value found: ${field.name} duplicates value on record with id: ${existingId}`,
    ),
  invalidCrossReference: (fields: string[] = []) =>
    error("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", fields),
  /** A value in an Id or lookup field that is not an Id of the right object. */
  malformedId: (label: string, value: string, field: string) =>
    error("MALFORMED_ID", `${label}: id value of incorrect type: ${value}`, [field]),
  /** A well-formed Id of another object in a lookup. */
  wrongReferenceType: (field: FieldDef, value: string) =>
    error("FIELD_INTEGRITY_EXCEPTION", `${field.label}: id value of incorrect type: ${value}`, [field.name]),
  restrictedPicklist: (field: FieldDef, value: string) =>
    error(
      "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
      `${field.label}: bad value for restricted picklist field: ${value}`,
      [field.name],
    ),
  notWritable: (fields: string[]) =>
    error(
      "INVALID_FIELD_FOR_INSERT_UPDATE",
      `Unable to create/update fields: ${fields.join(", ")}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`,
      fields,
    ),
  unknownField: (name: string, objectName: string) =>
    error("INVALID_FIELD", `No such column '${name}' on sobject of type ${objectName}`),
  /** Bulk (CSV) values that do not parse as the field's type. */
  csvType: (field: FieldDef, column: number, value: string) =>
    error(
      "INVALID_FIELD",
      `Failed to deserialize field at col ${column}. Due to, '${value}' is not a valid value for the type ${field.soapType}`,
      [field.name],
    ),
  /** REST (JSON) values of the wrong JSON type for the field. */
  jsonType: (field: FieldDef, token: string, value: string) =>
    error(
      "JSON_PARSER_ERROR",
      `Cannot deserialize instance of ${jsonTypeName(field)} from ${token} value ${value} or request may be missing a required field`,
    ),
  invalidEmail: (field: FieldDef, value: string) =>
    error("INVALID_EMAIL_ADDRESS", `${field.label}: invalid email address: ${value}`, [field.name]),
  numberOutOfRange: (field: FieldDef, value: string) =>
    error(
      "NUMBER_OUTSIDE_VALID_RANGE",
      `${field.label}: value outside of valid range on numeric field: ${value}`,
      [field.name],
    ),
  entityIsDeleted: () => error("ENTITY_IS_DELETED", "entity is deleted"),
  unableToLockRow: (id: string) =>
    error("UNABLE_TO_LOCK_ROW", `unable to obtain exclusive access to this record or 1 records: ${id}`),
  missingId: () => error("MISSING_ARGUMENT", "Id not specified in an update call"),
  missingExternalId: (field: string) => error("MISSING_ARGUMENT", `${field} not specified`),
  duplicateExternalId: (field: FieldDef, ids: string[]) =>
    error(
      "DUPLICATE_EXTERNAL_ID",
      `${field.label}: more than one record found for external id field: [${ids.join(", ")}]`,
      [field.name],
    ),
  foreignKeyNotFound: (value: string, field: string, objectName: string) =>
    error(
      "INVALID_FIELD",
      `Foreign key external ID: ${value} not found for field ${field} in entity ${objectName}`,
    ),
  badRelationship: (relationship: string, objectName: string) =>
    error("INVALID_FIELD", `No such column '${relationship}' on sobject of type ${objectName}`),
  notExternalIdForRelationship: (field: string, objectName: string) =>
    error(
      "INVALID_FIELD",
      `Field name provided, ${field} is not an External ID or indexed field for ${objectName}`,
    ),
};

/** The type names Salesforce's JSON deserializer uses in its messages. */
function jsonTypeName(field: FieldDef): string {
  switch (field.type) {
    case "int":
      return "int";
    case "long":
      return "long";
    case "double":
    case "percent":
      return "double";
    case "currency":
      return "currency";
    case "boolean":
      return "boolean";
    case "date":
      return "date";
    case "datetime":
      return "datetime";
    case "time":
      return "time";
    default:
      return "string";
  }
}
