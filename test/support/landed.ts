import type { Manifest } from "../../functions/core/extract/manifest";
import type { ObjectStore } from "../../functions/core/ports";
import { isParquetPart, manifestFields, partRecords } from "../../local/demo/landed";

const decoder = new TextDecoder();

export async function readManifests(store: ObjectStore, prefix: string, object: string): Promise<Manifest[]> {
  const manifests: Manifest[] = [];
  for await (const info of store.list(`${prefix}data/${object}/`)) {
    if (!info.key.endsWith("/_manifest.json")) continue;
    const bytes = await store.get(info.key);
    if (bytes) manifests.push(JSON.parse(decoder.decode(bytes)) as Manifest);
  }
  return manifests.sort((a, b) => a.committedAt.localeCompare(b.committedAt));
}

/** Every record a manifest's parts hold, in part order; each part must read whole (Parquet or JSON lines). */
export async function readManifestRecords(
  store: ObjectStore,
  manifest: Manifest,
): Promise<Array<Record<string, unknown>>> {
  const records: Array<Record<string, unknown>> = [];
  const fields = manifest.parts.some((part) => isParquetPart(part.key))
    ? await manifestFields(store, manifest)
    : [];
  for (const part of manifest.parts) {
    const bytes = await store.get(part.key);
    if (!bytes) throw new Error(`part ${part.key} named by the manifest is missing`);
    const landed = await partRecords(store, manifest, bytes, part.key, fields);
    if (landed.length !== part.records) {
      throw new Error(`part ${part.key} holds ${landed.length} records, the manifest says ${part.records}`);
    }
    records.push(...landed);
  }
  return records;
}
