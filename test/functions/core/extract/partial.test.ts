/** Which partial reads a run owes: how `formulaRefresh` reads, when formulas are due, which fields are new. */
import { describe, expect, it } from "vitest";
import type { CatalogStream } from "../../../../functions/core/catalog";
import { formulaDue, formulaFields, planPartials } from "../../../../functions/core/extract/partial";
import type { CommitPointer } from "../../../../functions/core/lake/commit-index";
import { Layout } from "../../../../functions/core/layout";
import {
  type ExtractSettings,
  extractSettingsOf,
  formulaRefreshMs,
  parseSettings,
} from "../../../../functions/core/settings";
import { catalogField } from "../../../support/catalog-field";
import { MemoryObjectStore } from "../../../support/memory-stores";

const NOW = Date.parse("2026-06-10T00:00:00.000Z");
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();

function settings(input: unknown): ExtractSettings {
  return extractSettingsOf(parseSettings(input, "settings.json"));
}

function stream(selectFields: string[]): CatalogStream {
  return {
    object: "Invoice__c",
    label: "Invoice",
    custom: true,
    primaryKey: ["Id"],
    cursorField: "SystemModstamp",
    syncModes: ["full_refresh", "incremental"],
    api: "bulk",
    hasIsDeleted: true,
    fields: [
      catalogField("Id", "id"),
      catalogField("Amount__c", "currency"),
      { ...catalogField("Days_Overdue__c", "double"), calculated: true },
      catalogField("Region__c", "string"),
      catalogField("SystemModstamp", "datetime"),
    ],
    selectFields,
  };
}

describe("formulaRefresh", () => {
  it("defaults to daily, takes one value or one per object pattern, first match wins", () => {
    // Act & Assess
    expect(formulaRefreshMs(settings({}), "Invoice__c")).toBe(DAY);
    expect(formulaRefreshMs(settings({ formulaRefresh: "12h" }), "Account")).toBe(12 * HOUR);
    const perObject = settings({ formulaRefresh: { "Invoice*": "6h", Account: "never", "*": "weekly" } });
    expect(formulaRefreshMs(perObject, "Invoice__c")).toBe(6 * HOUR);
    expect(formulaRefreshMs(perObject, "account")).toBeUndefined();
    expect(formulaRefreshMs(perObject, "Case")).toBe(7 * DAY);
    expect(formulaRefreshMs(settings({ formulaRefresh: { Account: "3d" } }), "Case")).toBe(DAY);
  });

  it("refuses a value or a pattern it cannot read, naming the key", () => {
    // Act & Assess
    expect(() => settings({ formulaRefresh: "hourly" })).toThrow(/formulaRefresh: must be "weekly", "daily"/);
    expect(() => settings({ formulaRefresh: { "Acc ount": "daily" } })).toThrow(
      /formulaRefresh\.Acc ount: .*is not a valid object pattern/,
    );
    expect(() => settings({ formulaRefresh: { Account: "1w" } })).toThrow(/formulaRefresh\.Account: must be/);
  });

  it("is due when the last refresh is as old as the setting, or there was none", () => {
    // Act & Assess
    const daily = settings({});
    expect(formulaDue(daily, "X", { lastFormulaRefreshAt: iso(NOW - 23 * HOUR) }, NOW)).toBe(false);
    expect(formulaDue(daily, "X", { lastFormulaRefreshAt: iso(NOW - DAY) }, NOW)).toBe(true);
    expect(formulaDue(daily, "X", {}, NOW)).toBe(true);
    expect(formulaDue(settings({ formulaRefresh: "never" }), "X", {}, NOW)).toBe(false);
  });
});

describe("a run's partial reads", () => {
  const layout = new Layout("");

  async function withCommit(store: MemoryObjectStore, selectFields: string[]): Promise<void> {
    const key = "catalog/streams/Invoice__c/v1.json";
    await store.put(key, JSON.stringify(stream(selectFields)));
    const pointer: Partial<CommitPointer> = { seq: 4, object: "Invoice__c", catalogKey: key };
    await store.put(layout.commitPointer("Invoice__c", 4), JSON.stringify(pointer));
  }

  it("owe the formulas when due and the fields the last commit did not select, in that order", async () => {
    // Prepare
    const store = new MemoryObjectStore();
    await withCommit(store, ["Id", "Amount__c", "Days_Overdue__c", "SystemModstamp"]);
    const now = stream(["Id", "Amount__c", "Days_Overdue__c", "Region__c", "SystemModstamp"]);
    const state = { cursor: iso(NOW - HOUR), commitSeq: 4, lastFormulaRefreshAt: iso(NOW - 2 * DAY) };

    // Act
    const passes = await planPartials(
      { store, layout, settings: settings({}) },
      "incremental",
      now,
      state,
      NOW,
    );
    const notDue = await planPartials(
      { store, layout, settings: settings({ formulaRefresh: "never" }) },
      "incremental",
      now,
      state,
      NOW,
    );

    // Assess
    expect(formulaFields(now)).toEqual(["Days_Overdue__c"]);
    expect(passes.map((pass) => [pass.origin, pass.fields])).toEqual([
      ["formula", ["Days_Overdue__c"]],
      ["backfill", ["Region__c"]],
    ]);
    expect(notDue.map((pass) => pass.origin)).toEqual(["backfill"]);
  });

  it("owe nothing to a full refresh or a stream's first read", async () => {
    // Prepare
    const store = new MemoryObjectStore();
    const now = stream(["Id", "Days_Overdue__c", "Region__c", "SystemModstamp"]);
    const deps = { store, layout, settings: settings({}) };

    // Act & Assess
    expect(await planPartials(deps, "full_refresh", now, { cursor: iso(NOW), commitSeq: 4 }, NOW)).toEqual(
      [],
    );
    expect(await planPartials(deps, "incremental", now, {}, NOW)).toEqual([]);
  });
});
