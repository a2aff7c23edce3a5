import { describe, expect, it } from "vitest";
import type { CatalogStream } from "../../../functions/core/catalog";
import {
  type CatalogIndex,
  readCatalogIndex,
  readStream,
  writeCatalogChanges,
  writeCatalogIndex,
  writeStream,
} from "../../../functions/core/catalog-store";
import { Layout } from "../../../functions/core/layout";
import { ConfigurationError } from "../../../functions/errors";
import { catalogField } from "../../support/catalog-field";
import { MemoryStore } from "./load/memory-store";

const layout = new Layout("lake/sf");

function account(): CatalogStream {
  return {
    object: "Account",
    label: "Account",
    custom: false,
    primaryKey: ["Id"],
    cursorField: "SystemModstamp",
    syncModes: ["full_refresh", "incremental"],
    api: "bulk",
    hasIsDeleted: true,
    fields: [catalogField("Id", "id"), catalogField("SystemModstamp", "datetime")],
    selectFields: ["Id", "SystemModstamp"],
  };
}

function text(store: MemoryStore, key: string): string | undefined {
  return store.objects.get(key)?.toString("utf8");
}

describe("catalog store", () => {
  it("writes a stream version under its key and reads it back", async () => {
    const store = new MemoryStore();
    const key = await writeStream(store, layout, "Account", 2, account());
    expect(key).toBe("lake/sf/catalog/Account/v2.json");
    expect(text(store, key)).toBe(`${JSON.stringify(account(), null, 2)}\n`);
    expect(await readStream(store, key)).toEqual(account());
  });

  it("refuses a stream that was never written, pointing at discover", async () => {
    const store = new MemoryStore();
    const error = await readStream(store, "lake/sf/catalog/Account/v9.json").catch((caught) => caught);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toBe(
      "The catalog file lake/sf/catalog/Account/v9.json does not exist: run discover first.",
    );
  });

  it("reads no index before the first discover, then the index written", async () => {
    const store = new MemoryStore();
    expect(await readCatalogIndex(store, layout)).toBeUndefined();
    const index: CatalogIndex = {
      connection: "prod",
      apiVersion: "62.0",
      version: 1,
      discoveredAt: "2024-05-01T00:00:00.000Z",
      streams: {
        Account: { version: 2, key: "lake/sf/catalog/Account/v2.json", cursorField: "SystemModstamp" },
      },
    };
    await writeCatalogIndex(store, layout, index);
    expect(text(store, "lake/sf/catalog/index.json")).toBe(`${JSON.stringify(index, null, 2)}\n`);
    expect(await readCatalogIndex(store, layout)).toEqual(index);
  });

  it("records a version's changes with the version first", async () => {
    const store = new MemoryStore();
    await writeCatalogChanges(store, layout, 3, {
      objectsAdded: ["Account"],
      objectsRemoved: [],
      streams: [],
    });
    expect(JSON.parse(text(store, "lake/sf/catalog/changes/v3.json") ?? "")).toEqual({
      version: 3,
      objectsAdded: ["Account"],
      objectsRemoved: [],
      streams: [],
    });
  });
});
