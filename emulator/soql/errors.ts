import { OrgError } from "../org/types";

/** The advice Salesforce appends to unknown-column and unknown-object errors. */
export const WSDL_HINT = "Please reference your WSDL or the describe call for the appropriate names.";

/**
 * A query error shaped as Salesforce phrases it: the query line, a caret under the offending token,
 * `ERROR at Row:r:Column:c` (1-based) and the reason, each on its own line.
 */
export function queryError(
  code: string,
  query: string,
  offset: number,
  reason: string,
  fields: string[] = [],
) {
  const before = query.slice(0, Math.max(0, offset));
  const row = before.split("\n").length;
  const lineStart = before.lastIndexOf("\n") + 1;
  const column = offset - lineStart + 1;
  const lineEnd = query.indexOf("\n", lineStart);
  const line = query.slice(lineStart, lineEnd < 0 ? undefined : lineEnd).replace(/\r$/, "");
  const message = `\n${line}\n${" ".repeat(Math.max(0, column - 1))}^\nERROR at Row:${row}:Column:${column}\n${reason}`;
  return new OrgError(code, message, fields);
}

export function unknownColumn(query: string, offset: number, column: string, objectName: string): OrgError {
  return queryError(
    "INVALID_FIELD",
    query,
    offset,
    `No such column '${column}' on entity '${objectName}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. ${WSDL_HINT}`,
  );
}

export function unknownRelationship(query: string, offset: number, relationship: string): OrgError {
  return queryError(
    "INVALID_FIELD",
    query,
    offset,
    `Didn't understand relationship '${relationship}' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. ${WSDL_HINT}`,
  );
}

export function unknownObject(query: string, offset: number, objectName: string): OrgError {
  return queryError(
    "INVALID_TYPE",
    query,
    offset,
    `sObject type '${objectName}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. ${WSDL_HINT}`,
  );
}
