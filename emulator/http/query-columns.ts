/**
 * `GET query?q=SOQL&columns=true`: the query's column metadata instead of its rows. The sf CLI
 * (`sf data query`) asks for it after every query that returned rows, to lay out its table and CSV.
 * Relationship columns nest under their relationship (`joinColumns`), as Salesforce sends them.
 */
import { NUMBER_TYPES, TEXT_TYPES } from "../org/schema";
import type { Column, FieldDef, FieldType, ObjectDef, Org, QueryResult } from "../org/types";

export interface ColumnMetadata {
  aggregate: boolean;
  apexType: string | null;
  booleanType: boolean;
  columnName: string;
  custom: boolean;
  displayName: string;
  foreignKeyName: string | null;
  insertable: boolean;
  joinColumns: ColumnMetadata[];
  numberType: boolean;
  textType: boolean;
  updatable: boolean;
}

const APEX_TYPES: Record<FieldType, string> = {
  id: "Id",
  reference: "Id",
  string: "String",
  textarea: "String",
  picklist: "String",
  multipicklist: "String",
  combobox: "String",
  email: "String",
  phone: "String",
  url: "String",
  encryptedstring: "String",
  boolean: "Boolean",
  int: "Integer",
  long: "Long",
  double: "Double",
  currency: "Double",
  percent: "Double",
  date: "Date",
  datetime: "Datetime",
  time: "Time",
  base64: "Blob",
  address: "Address",
  location: "Location",
  anyType: "Object",
};

function fieldColumn(field: FieldDef, displayName: string): ColumnMetadata {
  return {
    aggregate: false,
    apexType: APEX_TYPES[field.type],
    booleanType: field.type === "boolean",
    columnName: field.name,
    custom: field.custom,
    displayName,
    foreignKeyName: null,
    insertable: field.createable,
    joinColumns: [],
    numberType: NUMBER_TYPES.has(field.type),
    textType: TEXT_TYPES.has(field.type),
    updatable: field.updateable,
  };
}

function relationColumn(name: string, reference: FieldDef | undefined): ColumnMetadata {
  return {
    aggregate: false,
    apexType: null,
    booleanType: false,
    columnName: name,
    custom: reference?.custom ?? false,
    displayName: name,
    foreignKeyName: reference?.name ?? null,
    insertable: false,
    joinColumns: [],
    numberType: false,
    textType: false,
    updatable: false,
  };
}

function find(org: Org, name: string): ObjectDef | undefined {
  const wanted = name.toLowerCase();
  return org.listObjects().find((o) => o.name.toLowerCase() === wanted);
}

function reference(owner: ObjectDef | undefined, relationshipName: string): FieldDef | undefined {
  const wanted = relationshipName.toLowerCase();
  return owner?.fields.find((f) => f.relationshipName?.toLowerCase() === wanted);
}

/** Adds one selected column to the tree, creating its relationship nodes in first-appearance order. */
function place(org: Org, root: ObjectDef, top: ColumnMetadata[], column: Column): void {
  let level = top;
  let owner: ObjectDef | undefined = root;
  for (const segment of column.path.slice(0, -1)) {
    const ref = reference(owner, segment);
    const name = ref?.relationshipName ?? segment;
    // Field columns always carry an apexType; relationship nodes never do.
    let node = level.find((c) => c.apexType === null && c.columnName === name);
    if (node === undefined) {
      node = relationColumn(name, ref);
      level.push(node);
    }
    const target = ref?.referenceTo[0];
    owner = target === undefined ? undefined : find(org, target);
    level = node.joinColumns;
  }
  level.push(fieldColumn(column.field, column.path.length > 1 ? column.name : column.field.name));
}

export function queryColumns(org: Org, result: QueryResult): Record<string, unknown> {
  const root = org.describe(result.object);
  const columnMetadata: ColumnMetadata[] = [];
  for (const column of result.columns) place(org, root, columnMetadata, column);
  return {
    columnMetadata,
    entityName: root.name,
    groupBy: false,
    idSelected: result.columns.some((c) => c.path.length === 1 && c.field.type === "id"),
    keyPrefix: root.keyPrefix,
  };
}
