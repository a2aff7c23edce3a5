/**
 * Query rows as REST JSON records: `attributes: {type, url}` first, then the selected columns in
 * SELECT order, relationship columns nested under the relationship name (null when the parent is),
 * nulls present, datetimes `…000+0000`, compound fields as objects and base64 fields as the URL of
 * their blob.
 */
import type {
  Column,
  CompoundValue,
  FieldDef,
  ObjectDef,
  Org,
  QueryResult,
  ResultRow,
  Value,
} from "../org/types";
import { restDateTime } from "./wire-dates";

export type JsonRecord = Record<string, unknown>;

export function recordUrl(version: string, objectName: string, id: string): string {
  return `/services/data/v${version}/sobjects/${objectName}/${id}`;
}

export function restValue(
  field: FieldDef,
  value: Value | CompoundValue | undefined,
  owner: { version: string; objectName: string; id: string },
): unknown {
  if (value === undefined || value === null) return null;
  if (field.type === "datetime" && typeof value === "number") return restDateTime(value);
  if (field.type === "base64") return `${recordUrl(owner.version, owner.objectName, owner.id)}/${field.name}`;
  if (typeof value === "object") {
    // Salesforce lists compound components alphabetically (city, country, geocodeAccuracy, …).
    return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }
  return value;
}

/** The object a key prefix belongs to (for polymorphic references such as OwnerId). */
function objectByPrefix(org: Org): (id: string) => ObjectDef | undefined {
  const byPrefix = new Map(org.listObjects().map((o) => [o.keyPrefix, o] as const));
  return (id) => byPrefix.get(id.slice(0, 3));
}

interface PlainNode {
  kind: "plain";
  key: string;
  field: FieldDef;
  index: number;
}

interface RelationNode {
  kind: "relation";
  key: string;
  /** The reference field on the owning object that holds the parent's Id. */
  referenceField: string;
  children: Array<PlainNode | RelationNode>;
}

type Node = PlainNode | RelationNode;

function relationshipField(def: ObjectDef, relationshipName: string): FieldDef | undefined {
  const wanted = relationshipName.toLowerCase();
  return def.fields.find((f) => f.relationshipName?.toLowerCase() === wanted);
}

/** Builds the output tree for a column list: one node per top-level key, in first-appearance order. */
function buildTree(org: Org, root: ObjectDef, columns: Column[]): Node[] {
  const top: Node[] = [];
  columns.forEach((column, index) => {
    let level = top;
    let owner: ObjectDef | undefined = root;
    for (let depth = 0; depth < column.path.length - 1; depth++) {
      const segment = column.path[depth] as string;
      const reference: FieldDef | undefined =
        owner === undefined ? undefined : relationshipField(owner, segment);
      const key = reference?.relationshipName ?? segment;
      let node = level.find((n): n is RelationNode => n.kind === "relation" && n.key === key);
      if (node === undefined) {
        node = { kind: "relation", key, referenceField: reference?.name ?? `${segment}Id`, children: [] };
        level.push(node);
      }
      const target: string | undefined = reference?.referenceTo[0];
      owner = target === undefined ? undefined : safeDescribe(org, target);
      level = node.children;
    }
    level.push({ kind: "plain", key: column.field.name, field: column.field, index });
  });
  return top;
}

function safeDescribe(org: Org, name: string): ObjectDef | undefined {
  return org.listObjects().find((o) => o.name.toLowerCase() === name.toLowerCase());
}

/** A formatter for the rows of one query result. */
export function restRecordFormatter(
  org: Org,
  result: QueryResult,
  version: string,
): (row: ResultRow) => JsonRecord {
  const root = org.describe(result.object);
  const tree = buildTree(org, root, result.columns);
  const typeOf = objectByPrefix(org);

  const build = (
    nodes: Node[],
    row: ResultRow,
    owner: { objectName: string; id: string; stored?: Record<string, Value> | undefined },
  ): JsonRecord => {
    const out: JsonRecord = {
      attributes: { type: owner.objectName, url: recordUrl(version, owner.objectName, owner.id) },
    };
    for (const node of nodes) {
      if (node.kind === "plain") {
        out[node.key] = restValue(node.field, row.values[node.index], { version, ...owner });
        continue;
      }
      const stored = owner.stored ?? org.get(owner.objectName, owner.id, { includeDeleted: true });
      const parentId = stored?.[node.referenceField];
      if (typeof parentId !== "string" || parentId === "") {
        out[node.key] = null;
        continue;
      }
      const parentType = typeOf(parentId)?.name ?? node.key;
      out[node.key] = build(node.children, row, { objectName: parentType, id: parentId });
    }
    return out;
  };

  return (row) => build(tree, row, { objectName: root.name, id: row.id });
}
