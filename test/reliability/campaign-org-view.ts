/**
 * The org's side of the sync invariants: each record of a stream as the connector should land it
 * (selected fields, datetimes as ISO strings, a base64 field as the URL of its blob, which is what REST
 * returns), with its cursor-field value, and a comparison that ignores formula fields (they change
 * without touching SystemModstamp, a documented limit).
 */
import type { Org, Value } from "../../emulator/org/types";
import type { CatalogStream } from "../../functions/core/catalog";
import type { LandedRecord } from "./campaign-landed";

export interface OrgRecord {
  id: string;
  /** Cursor-field value, epoch ms. */
  stamp: number;
  deleted: boolean;
  record: LandedRecord;
}

/** Every record of the stream's object, soft-deleted ones included when the stream can see them. */
export function orgRecords(org: Org, stream: CatalogStream, apiVersion = "62.0"): Map<string, OrgRecord> {
  const cursorField = stream.cursorField ?? "SystemModstamp";
  const types = new Map(stream.fields.map((field) => [field.name, field.sfType]));
  const fields = stream.selectFields.includes(cursorField)
    ? stream.selectFields
    : [...stream.selectFields, cursorField];
  const result = org.query(`SELECT ${fields.join(", ")} FROM ${stream.object}`, {
    includeDeleted: stream.hasIsDeleted,
  });
  const out = new Map<string, OrgRecord>();
  for (const row of result.rows()) {
    const record: LandedRecord = {};
    let stamp = Number.NaN;
    result.columns.forEach((column, index) => {
      const value = row.values[index] as Value;
      if (column.name === cursorField) stamp = value as number;
      if (!stream.selectFields.includes(column.name)) return;
      const type = types.get(column.name);
      if (value !== null && type === "datetime")
        record[column.name] = new Date(value as number).toISOString();
      else if (value !== null && type === "base64")
        record[column.name] =
          `/services/data/v${apiVersion}/sobjects/${stream.object}/${row.id}/${column.name}`;
      else record[column.name] = value;
    });
    out.set(row.id, { id: row.id, stamp, deleted: record.IsDeleted === true, record });
  }
  return out;
}

/**
 * Fields that differ between what landed and what the org holds, formula fields left out unless
 * `formulas` (they are exact only where they were read whole since the org last changed them).
 */
export function differences(
  stream: CatalogStream,
  landed: LandedRecord,
  expected: LandedRecord,
  formulas = false,
): string[] {
  const calculated = new Set(
    formulas ? [] : stream.fields.filter((field) => field.calculated).map((field) => field.name),
  );
  const out: string[] = [];
  for (const name of stream.selectFields) {
    if (calculated.has(name)) continue;
    const a = landed[name] === undefined ? null : landed[name];
    const b = expected[name] === undefined ? null : expected[name];
    if (JSON.stringify(a) !== JSON.stringify(b)) {
      out.push(`${name}: landed ${JSON.stringify(a)?.slice(0, 60)}, org ${JSON.stringify(b)?.slice(0, 60)}`);
    }
  }
  return out;
}
