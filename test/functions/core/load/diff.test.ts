import { describe, expect, it } from "vitest";
import { writeCatalogIndex, writeStream } from "../../../../functions/core/catalog-store";
import type { LakeEngine } from "../../../../functions/core/lake/lake-engine";
import { Layout } from "../../../../functions/core/layout";
import { RowDiffer } from "../../../../functions/core/load/diff";
import type { LoadDeps } from "../../../../functions/core/load/load-deps";
import type { LoadPlan } from "../../../../functions/core/load/load-plan";
import { initialLoadState } from "../../../../functions/core/load/load-state";
import { LoadSettingsSchema } from "../../../../functions/core/settings";
import type { SalesforceClient } from "../../../../functions/salesforce/client";
import { demoStream } from "../../../support/lake-streams";
import { memoryLog } from "../../../support/memory-log";
import { MemoryObjectStore, MemoryStateStore } from "../../../support/memory-stores";

const NOW = Date.parse("2026-06-01T12:00:00.000Z");
const ID = "001000000000001AAA";

/**
 * The comparison over the lake's answer as Athena gives it: every column name in lower case (Trino folds
 * even quoted aliases) and every value as text. Athena has no local endpoint: its answer is scripted.
 */
async function differ(answer: Array<Record<string, unknown>>) {
  const store = new MemoryObjectStore("bucket");
  const layout = new Layout("");
  const state = new MemoryStateStore();
  const stream = demoStream("Account");
  const key = await writeStream(store, layout, "Account", 1, stream);
  await writeCatalogIndex(store, layout, {
    connection: "acme",
    apiVersion: "62.0",
    version: 1,
    discoveredAt: new Date(NOW).toISOString(),
    streams: { Account: { version: 1, key, cursorField: "SystemModstamp" } },
  });
  state.streams.set("acme#Account", {
    connection: "acme",
    object: "Account",
    commitSeq: 3,
    cursor: new Date(NOW - 5 * 60_000).toISOString(),
    lake: { athena: { mergedSeq: 3 } },
  });
  const statements: string[] = [];
  const engine = {
    watermark: "athena",
    async currentValues(_stream: unknown, mergedSeq: number, sql: string) {
      statements.push(`${mergedSeq}: ${sql}`);
      return answer;
    },
  } as unknown as LakeEngine;
  const deps = {
    store,
    layout,
    state,
    settings: LoadSettingsSchema.parse({}),
    log: memoryLog(),
    now: () => NOW,
    lake: { connection: "acme", engine: async () => engine },
  } as unknown as LoadDeps;
  const field = (name: string) => {
    const found = stream.fields.find((candidate) => candidate.name === name);
    if (!found) throw new Error(`no ${name}`);
    return found;
  };
  const plan: LoadPlan = {
    object: "Account",
    operation: "upsert",
    externalIdField: "ERP_Id__c",
    format: "csv",
    columns: ["ERP_Id__c", "Name", "NumberOfEmployees", "AnnualRevenue"].map((name) => ({
      header: name,
      name,
      field: field(name),
    })),
    idColumn: -1,
  };
  const load = initialLoadState({
    runId: "load-1",
    file: {
      bucket: "bucket",
      key: "inbound/Account/upsert/ERP_Id__c/a.csv",
      version: "v",
      claimVersion: "v",
    },
    target: { object: "Account", operation: "upsert", externalIdField: "ERP_Id__c" },
    resultsFolder: "results/a/",
    claimedAt: new Date(NOW).toISOString(),
  });
  const compared = await RowDiffer.open(deps, load, plan, undefined as unknown as SalesforceClient);
  return { compared, statements, load };
}

describe("RowDiffer over the lake", () => {
  it("reads Athena's lower-case columns and text values, by type; keys match exactly", async () => {
    // Prepare
    const { compared, statements, load } = await differ([
      { id: ID, erp_id__c: "E-1", name: "Acme", numberofemployees: "10", annualrevenue: "1250" },
    ]);

    // Act
    const verdicts = await compared.verdicts([
      { index: 0, line: 2, values: ["E-1", "Acme", "10", "1250.0"] },
      { index: 1, line: 3, values: ["E-2", "New", undefined, undefined] },
      { index: 2, line: 4, values: ["e-1", "Acme", "10", "1250.0"] },
    ]);
    const changed = await compared.verdicts([{ index: 2, line: 4, values: ["E-1", "Acme", "11", null] }]);

    // Assess
    expect(load.diffSource).toMatchObject({ source: "lake" });
    expect(verdicts).toEqual([
      { fate: "unchanged", id: ID, changed: [] },
      { fate: "create", changed: [] },
      // Another case is another key to a case-sensitive external id: sent, never called unchanged.
      { fate: "create", changed: [] },
    ]);
    expect(changed).toEqual([{ fate: "update", id: ID, changed: ["NumberOfEmployees", "AnnualRevenue"] }]);
    expect(statements[0]).toBe(
      `3: SELECT "id" AS "Id", "erp_id__c" AS "ERP_Id__c", "name" AS "Name", "numberofemployees" AS "NumberOfEmployees", "annualrevenue" AS "AnnualRevenue" FROM "account" WHERE "erp_id__c" IN ('E-1', 'E-2', 'e-1')`,
    );
  });

  it("sends both rows of a key the file holds twice, whatever the table says", async () => {
    // Prepare
    const { compared } = await differ([{ id: ID, erp_id__c: "E-1", name: "Acme" }]);

    // Act
    const verdicts = await compared.verdicts([
      { index: 0, line: 2, values: ["E-1", "Other", undefined, undefined] },
      { index: 1, line: 3, values: ["E-1", "Acme", undefined, undefined] },
    ]);

    // Assess
    expect(verdicts.map((verdict) => verdict.fate)).toEqual(["update", "update"]);
  });
});
