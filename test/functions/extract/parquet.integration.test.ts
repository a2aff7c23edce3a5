import { afterEach, describe, expect, it } from "vitest";
import type { Org, Value } from "../../../emulator/org/types";
import type { CatalogStream } from "../../../functions/core/catalog";
import { readCatalogIndex, readStream } from "../../../functions/core/catalog-store";
import { type LakeType, lakeColumns, RUN_ID_COLUMN } from "../../../functions/core/lake/lake-names";
import { readParquet } from "../../../local/demo/landed";
import { driveSync } from "../../support/drive";
import { type Harness, type HarnessOptions, startDemoHarness } from "../../support/harness";
import { readManifests } from "../../support/landed";

const T0 = Date.parse("2026-06-01T12:00:00.000Z");
const OBJECTS = ["Account", "Contact", "Invoice__c", "Attachment", "AccountHistory", "Case"];

let harness: Harness | undefined;

afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

async function start(options: HarnessOptions = {}): Promise<Harness> {
  harness = await startDemoHarness(T0, options);
  return harness;
}

async function streamOf(h: Harness, object: string): Promise<CatalogStream> {
  const index = await readCatalogIndex(h.runtime.store, h.runtime.layout);
  const entry = index?.streams[object];
  if (!entry) throw new Error(`${object} is not in the catalog`);
  return readStream(h.runtime.store, entry.key);
}

/** The DuckDB type a lake type reads back as. */
function duckType(type: LakeType): string {
  switch (type.kind) {
    case "string":
      return "VARCHAR";
    case "boolean":
      return "BOOLEAN";
    case "int":
      return "INTEGER";
    case "bigint":
      return "BIGINT";
    case "double":
      return "DOUBLE";
    case "decimal":
      return `DECIMAL(${type.precision},${type.scale})`;
    case "date":
      return "DATE";
    case "timestamp":
      return "TIMESTAMP WITH TIME ZONE";
  }
}

/** The org's live rows as the lake holds them: lower-case columns, datetimes as ISO strings. */
function orgRows(org: Org, stream: CatalogStream): Map<string, Record<string, unknown>> {
  const types = new Map(stream.fields.map((field) => [field.name, field.sfType]));
  const result = org.query(`SELECT ${stream.selectFields.join(", ")} FROM ${stream.object}`, {
    includeDeleted: false,
  });
  const out = new Map<string, Record<string, unknown>>();
  for (const row of result.rows()) {
    const record: Record<string, unknown> = {};
    result.columns.forEach((column, index) => {
      const value = row.values[index] as Value;
      record[column.name.toLowerCase()] =
        value !== null && types.get(column.name) === "datetime"
          ? new Date(value as number).toISOString()
          : value;
    });
    // REST lands a base64 field as the URL of its blob.
    if (stream.object === "Attachment")
      record.body = `/services/data/v62.0/sobjects/Attachment/${row.id}/Body`;
    out.set(row.id, record);
  }
  return out;
}

describe("sync: Parquet parts", () => {
  it("lands typed Parquet parts whose every value of every row is the org's, read back with DuckDB", async () => {
    // Prepare: a small Bulk page so objects land several parts.
    const h = await start({ settings: { bulkPageRecords: 40 } });

    // Act
    const results = await driveSync(h.runtime, "parquet-1", { objects: OBJECTS, mode: "full_refresh" });

    // Assess
    for (const object of OBJECTS) {
      const stream = await streamOf(h, object);
      const columns = lakeColumns(stream);
      const expected = orgRows(h.emulator.org, stream);
      const [manifest, ...others] = await readManifests(h.runtime.store, "", object);
      expect(others).toHaveLength(0);
      if (!manifest) throw new Error(`${object}: no manifest`);
      expect(manifest.format).toBe("parquet");
      const seen = new Set<string>();
      for (const part of manifest.parts) {
        expect(part.key).toMatch(/\/part-[^/]+-\d{5}\.parquet$/);
        const bytes = await h.runtime.store.get(part.key);
        if (!bytes) throw new Error(`${part.key} is missing`);
        expect(bytes.length).toBe(part.bytes);
        const read = await readParquet(bytes);
        expect(read.columns, `${object} columns`).toEqual([
          ...columns.map((column) => ({ name: column.name, type: duckType(column.type) })),
          { name: RUN_ID_COLUMN, type: "VARCHAR" },
        ]);
        expect(read.rows.length, `${part.key} records`).toBe(part.records);
        for (const row of read.rows) {
          const { [RUN_ID_COLUMN]: runId, ...values } = row;
          expect(runId).toBe(manifest.runId);
          const id = String(values.id);
          expect(seen.has(id), `${object} ${id} twice`).toBe(false);
          seen.add(id);
          expect(values, `${object} ${id}`).toEqual(expected.get(id));
        }
      }
      expect(seen.size, `${object}: every record`).toBe(expected.size);
      expect(results.get(object)?.records).toBe(expected.size);
    }
    // The types the brief names, on the demo's own fields.
    const invoice = lakeColumns(await streamOf(h, "Invoice__c"));
    const typeOf = (name: string) =>
      duckType(invoice.find((column) => column.name === name)?.type ?? { kind: "string" });
    expect(typeOf("amount__c")).toMatch(/^DECIMAL\(16,\d+\)$/);
    expect(typeOf("discount__c")).toBe("DECIMAL(5,2)");
    expect(typeOf("due_date__c")).toBe("DATE");
    expect(typeOf("issued_at__c")).toBe("TIMESTAMP WITH TIME ZONE");
    expect(typeOf("paid__c")).toBe("BOOLEAN");
    const account = lakeColumns(await streamOf(h, "Account"));
    expect(account.find((column) => column.name === "headquarters__latitude__s")?.athenaType).toBe("double");
  });

  it("still lands gzip JSON lines when the settings ask for them", async () => {
    // Prepare
    const h = await start({ settings: { format: "jsonl" } });

    // Act
    await driveSync(h.runtime, "jsonl-1", { objects: ["Account"], mode: "full_refresh" });

    // Assess
    const [manifest] = await readManifests(h.runtime.store, "", "Account");
    expect(manifest?.format).toBe("jsonl");
    expect(manifest?.parts.map((part) => part.key)).toEqual([expect.stringMatching(/\.jsonl\.gz$/)]);
  });
});
