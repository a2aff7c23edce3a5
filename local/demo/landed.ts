/**
 * What a sync landed, read back the way a consumer would: the manifest, then the parts it names
 * (gzipped JSON lines). The demo uses it to show that the incremental sync brought exactly the changes.
 */
import { gunzipSync } from "node:zlib";
import type { Manifest } from "../../functions/core/extract/manifest";
import type { ObjectStore } from "../../functions/core/ports";

const decoder = new TextDecoder();

export async function readManifest(store: ObjectStore, key: string): Promise<Manifest> {
  const bytes = await store.get(key);
  if (!bytes) throw new Error(`The manifest ${key} is missing.`);
  return JSON.parse(decoder.decode(bytes)) as Manifest;
}

export async function readLandedRecords(
  store: ObjectStore,
  manifest: Manifest,
): Promise<Array<Record<string, unknown>>> {
  const records: Array<Record<string, unknown>> = [];
  for (const part of manifest.parts) {
    const bytes = await store.get(part.key);
    if (!bytes) throw new Error(`The part ${part.key} named by ${manifest.object}'s manifest is missing.`);
    // An empty window's part may be an empty object rather than an empty gzip stream.
    if (bytes.length === 0 && part.records === 0) continue;
    for (const line of decoder.decode(gunzipSync(bytes)).split("\n")) {
      if (line.length > 0) records.push(JSON.parse(line) as Record<string, unknown>);
    }
  }
  return records;
}
