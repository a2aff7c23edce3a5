import { currentTableName } from "./athena-requests";
import { quoteIdentifier, sqlString } from "./merge-sql";

/**
 * The statement a load's comparison runs against an object's current-state table (both engines, the
 * same text): the wanted fields of the records whose key is one of `keys`, each column named after its
 * field. Values come back as the engine types them; formats/load/same-value.ts compares them by type.
 */
export function currentValuesSql(
  object: string,
  fields: ReadonlyArray<{ field: string; column: string }>,
  key: { field: string; column: string; caseInsensitive: boolean },
  keys: readonly string[],
): string {
  const select = fields.map(({ field, column }) => `${quoteIdentifier(column)} AS ${quoteIdentifier(field)}`);
  const column = quoteIdentifier(key.column);
  // Ids are compared by their 18-character form, which the table holds; external ids as Salesforce
  // matches them, whatever the case.
  const target = key.caseInsensitive ? `lower(${column})` : column;
  const literals = (keys.length === 0 ? [""] : keys).map(sqlString);
  return `SELECT ${select.join(", ")} FROM ${quoteIdentifier(currentTableName(object))} WHERE ${target} IN (${literals.join(", ")})`;
}
