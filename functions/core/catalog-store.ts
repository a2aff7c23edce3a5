// The catalog in the connection's bucket: `catalog/index.json`, each stream's versions and change records.
import { ConfigurationError } from "../errors";
import type { CatalogChanges, CatalogStream } from "./catalog";
import type { Layout } from "./layout";
import type { ObjectStore } from "./ports";

export interface CatalogIndexEntry {
  version: number;
  key: string;
  /** Copied from the stream so a sync can choose modes without reading every stream. */
  cursorField: string | null;
}

export interface CatalogIndex {
  connection: string;
  apiVersion: string;
  /** Increases whenever any stream changes, appears or disappears. */
  version: number;
  discoveredAt: string;
  streams: Record<string, CatalogIndexEntry>;
}

const encoder = new TextEncoder();

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

async function readJson<T>(store: ObjectStore, key: string): Promise<T | undefined> {
  const bytes = await store.get(key);
  if (!bytes) return undefined;
  return JSON.parse(new TextDecoder().decode(bytes)) as T;
}

export async function readCatalogIndex(
  store: ObjectStore,
  layout: Layout,
): Promise<CatalogIndex | undefined> {
  return readJson<CatalogIndex>(store, layout.catalogIndex());
}

export async function readStream(store: ObjectStore, key: string): Promise<CatalogStream> {
  const stream = await readJson<CatalogStream>(store, key);
  if (!stream) {
    throw new ConfigurationError(`The catalog file ${key} does not exist: run discover first.`);
  }
  return stream;
}

/** Write one version of an object's stream; returns its key. */
export async function writeStream(
  store: ObjectStore,
  layout: Layout,
  object: string,
  version: number,
  stream: CatalogStream,
): Promise<string> {
  const key = layout.catalogStream(object, version);
  await store.put(key, encoder.encode(json(stream)), { contentType: "application/json" });
  return key;
}

/** Record what changed in catalog version `version`. */
export async function writeCatalogChanges(
  store: ObjectStore,
  layout: Layout,
  version: number,
  changes: CatalogChanges,
): Promise<void> {
  await store.put(layout.catalogChanges(version), encoder.encode(json({ version, ...changes })), {
    contentType: "application/json",
  });
}

export async function writeCatalogIndex(
  store: ObjectStore,
  layout: Layout,
  index: CatalogIndex,
): Promise<void> {
  await store.put(layout.catalogIndex(), encoder.encode(json(index)), { contentType: "application/json" });
}
