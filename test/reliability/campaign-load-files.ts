/**
 * Inbound files for the load campaign: CSV or JSON lines (sometimes gzipped) for insert, upsert, update
 * or delete of Accounts, each row carrying a unique token so its outcome can be traced through the
 * result files and counted in the org. Rows are valid, invalid (the load must reject them) or failing
 * (Salesforce must refuse them: a missing required Name, a deleted record).
 */
import { gzipSync } from "node:zlib";
import type { Org } from "../../emulator/org/types";
import { awkwardText, type Random } from "./campaign-random";

export type LoadOperation = "insert" | "upsert" | "update" | "delete";
export type RowKind = "valid" | "rejected" | "failing";

export interface PlannedRow {
  /** Physical line of the row in the file. */
  line: number;
  token: string;
  kind: RowKind;
  /** Update and delete: the record the row names; upsert: whether the key exists already. */
  target?: string;
  existing?: boolean;
  name?: string;
}

export interface PlannedFile {
  key: string;
  operation: LoadOperation;
  format: "csv" | "jsonl";
  body: Uint8Array;
  rows: PlannedRow[];
  /** The result-file column holding a row's token (`Id` for deletes). */
  tokenColumn: string;
  /** Ids a lockRows fault may lock. */
  lockable: string[];
}

function csvCell(value: string): string {
  return /[",\r\n]/.test(value) || value !== value.trim() ? `"${value.replaceAll('"', '""')}"` : value;
}

function insertAccount(org: Org, fields: Record<string, unknown>): string {
  const result = org.insert("Account", fields, "json");
  if (!result.success || !result.id) throw new Error(`campaign setup: ${JSON.stringify(result.errors)}`);
  return result.id;
}

/** Plans one file and creates the records it names (targets of updates and deletes, existing upsert keys). */
export function planFile(random: Random, org: Org, prefix: string, tag: string): PlannedFile {
  const operation = random.pick<LoadOperation>(["insert", "insert", "upsert", "update", "delete"]);
  const format = random.chance(0.7) ? "csv" : "jsonl";
  const gzip = random.chance(0.25);
  const count = random.int(3, 40);
  const rows: PlannedRow[] = [];
  const lockable: string[] = [];
  // Each record: column name → cell text ("" leaves a CSV cell empty; undefined leaves a JSON key out).
  const records: Array<Record<string, string | undefined>> = [];
  const header =
    operation === "insert"
      ? ["Name", "ERP_Id__c", "NumberOfEmployees", "Description"]
      : operation === "upsert"
        ? ["ERP_Id__c", "Name", "NumberOfEmployees"]
        : operation === "update"
          ? ["Id", "Description", "NumberOfEmployees"]
          : ["Id"];
  for (let index = 0; index < count; index++) {
    const token = `T${tag}-${index}`;
    const roll = random.next();
    const kind: RowKind = roll < 0.12 ? "rejected" : roll < 0.22 ? "failing" : "valid";
    const row: PlannedRow = { line: index + 2, token, kind };
    const name = `${awkwardText(random, 30)} ${token}`;
    const employees = String(random.int(0, 100_000));
    let record: Record<string, string | undefined>;
    switch (operation) {
      case "insert":
        record = {
          Name: kind === "failing" ? undefined : name,
          ERP_Id__c: token,
          NumberOfEmployees: kind === "rejected" ? `${employees}x` : employees,
          Description: awkwardText(random, 80),
        };
        break;
      case "upsert": {
        const existing = kind === "valid" && random.chance(0.5);
        if (existing) row.target = insertAccount(org, { Name: `Before ${token}`, ERP_Id__c: token });
        if (existing) lockable.push(row.target as string);
        row.existing = existing;
        record = {
          ERP_Id__c: token,
          Name: kind === "failing" ? undefined : name,
          NumberOfEmployees: kind === "rejected" ? `${employees}x` : employees,
        };
        break;
      }
      case "update": {
        const id = insertAccount(org, { Name: `Target ${token}` });
        if (kind === "failing") org.delete("Account", id);
        else lockable.push(id);
        row.target = id;
        record = {
          Id: kind === "rejected" ? `bad${index}` : id,
          Description: token,
          NumberOfEmployees: employees,
        };
        break;
      }
      default: {
        const id = insertAccount(org, { Name: `Doomed ${token}` });
        if (kind === "failing") org.delete("Account", id);
        else lockable.push(id);
        row.target = id;
        row.token = kind === "rejected" ? `bad${tag}x${index}` : id;
        record = { Id: row.token };
      }
    }
    if (kind !== "failing" && record.Name !== undefined) row.name = record.Name;
    rows.push(row);
    records.push(record);
  }
  let text: string;
  if (format === "csv") {
    const lines = [header.join(",")];
    // Physical lines: a quoted value with line feeds spans several.
    let line = 2;
    for (const [index, record] of records.entries()) {
      const cells = header.map((column) => csvCell(record[column] ?? ""));
      // A row with an extra field: the reader rejects it whole, before its values are looked at.
      if (rows[index]?.kind === "rejected" && operation === "insert" && random.chance(0.5))
        cells.push("extra");
      const rowText = cells.join(",");
      (rows[index] as PlannedRow).line = line;
      line += 1 + (rowText.match(/\n/g)?.length ?? 0);
      lines.push(rowText);
    }
    text = `${lines.join(random.chance(0.5) ? "\r\n" : "\n")}\n`;
  } else {
    text = `${records
      .map((record) =>
        JSON.stringify(Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined))),
      )
      .join("\n")}\n`;
    // JSON lines have no header line: rows start at line 1.
    for (const row of rows) row.line -= 1;
  }
  const extension = format === "csv" ? "csv" : "jsonl";
  const folder = operation === "upsert" ? "upsert/ERP_Id__c" : operation;
  const bytes = new TextEncoder().encode(text);
  return {
    key: `${prefix}inbound/Account/${folder}/file-${tag}.${extension}${gzip ? ".gz" : ""}`,
    operation,
    format,
    body: gzip ? gzipSync(bytes) : bytes,
    rows,
    tokenColumn:
      operation === "insert" || operation === "upsert"
        ? "ERP_Id__c"
        : operation === "update"
          ? "Description"
          : "Id",
    lockable,
  };
}
