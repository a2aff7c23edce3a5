/**
 * `saddledata discover`: the discover Lambda's handler, run once, and the catalog it wrote — per object
 * its field count, cursor field, extract API and whether (and how) a sync would take it.
 */
import type { CatalogStream, SyncMode } from "../../functions/core/catalog";
import { readCatalogIndex, readStream } from "../../functions/core/catalog-store";
import { readPlannedObjects } from "../../functions/core/discover";
import { type DiscoverOutput, discoverHandler } from "../../functions/discover/handler";
import type { Runtime } from "../../functions/runtime/runtime";
import { newRunId } from "./sync-run";
import { count, plural, seconds, table } from "./text-format";

export interface DiscoveredObject {
  object: string;
  fields: number;
  cursorField: string | null;
  api: string;
  apiReason?: string;
  /** How a sync with the current settings would take it; null when the settings leave it out. */
  syncMode: SyncMode | null;
}

export interface DiscoverReport {
  runId: string;
  catalogVersion: number;
  catalogKey: string;
  changes: DiscoverOutput["changes"];
  apiCalls: number;
  objects: DiscoveredObject[];
  failed: Array<{ object: string; error: string }>;
  seconds: number;
}

/** Streams are read a few at a time: an org can have hundreds. */
async function readStreams(runtime: Runtime, keys: string[]): Promise<CatalogStream[]> {
  const out: CatalogStream[] = [];
  for (let index = 0; index < keys.length; index += 16) {
    out.push(
      ...(await Promise.all(keys.slice(index, index + 16).map((key) => readStream(runtime.store, key)))),
    );
  }
  return out;
}

export async function runDiscover(runtime: Runtime): Promise<DiscoverReport> {
  const started = Date.now();
  const runId = newRunId("discover");
  const output = (await discoverHandler.invoke({ runId, request: {} }, runtime)) as DiscoverOutput;
  const index = await readCatalogIndex(runtime.store, runtime.layout);
  const entries = Object.entries(index?.streams ?? {}).sort(([a], [b]) => a.localeCompare(b));
  const streams = await readStreams(
    runtime,
    entries.map(([, entry]) => entry.key),
  );
  const planned = await readPlannedObjects(runtime.store, runtime.layout, runId);
  const modes = new Map(planned.map((task) => [task.object, task.mode]));
  return {
    runId,
    catalogVersion: output.catalogVersion,
    catalogKey: runtime.layout.catalogIndex(),
    changes: output.changes,
    apiCalls: output.apiCalls,
    objects: streams.map((stream) => {
      const object: DiscoveredObject = {
        object: stream.object,
        fields: stream.fields.length,
        cursorField: stream.cursorField,
        api: stream.api,
        syncMode: modes.get(stream.object) ?? null,
      };
      if (stream.apiReason) object.apiReason = stream.apiReason;
      return object;
    }),
    failed: output.failed.map((failure) => ({ object: failure.object, error: failure.error.message })),
    seconds: (Date.now() - started) / 1000,
  };
}

export function discoverText(report: DiscoverReport): string {
  const { changes } = report;
  const lines = [
    `Catalog v${report.catalogVersion} (${report.catalogKey}): ${plural(report.objects.length, "object")}, ${plural(report.apiCalls, "API call")} in ${seconds(report.seconds)}`,
    table(
      ["OBJECT", ">FIELDS", "CURSOR FIELD", "API", "SYNC"],
      report.objects.map((object) => [
        object.object,
        count(object.fields),
        object.cursorField ?? "- (full refresh only)",
        object.apiReason ? `${object.api} (${object.apiReason})` : object.api,
        object.syncMode ?? "not selected",
      ]),
    ),
  ];
  const names = (listed: string[], total: number) =>
    total > listed.length ? `${listed.join(", ")} and ${total - listed.length} more` : listed.join(", ");
  const changed = [
    changes.counts.objectsAdded > 0
      ? `added ${names(changes.objectsAdded, changes.counts.objectsAdded)}`
      : "",
    changes.counts.objectsRemoved > 0
      ? `removed ${names(changes.objectsRemoved, changes.counts.objectsRemoved)}`
      : "",
    changes.counts.streamsChanged > 0
      ? `fields changed in ${names(changes.streamsChanged, changes.counts.streamsChanged)}`
      : "",
  ].filter(Boolean);
  lines.push(
    changed.length > 0
      ? `  Changes since the last catalog: ${changed.join("; ")}.`
      : "  No schema changes since the last catalog.",
  );
  if (report.failed.length > 0) {
    lines.push(
      "  Could not describe:",
      ...report.failed.map((failure) => `    ${failure.object}: ${failure.error}`),
    );
  }
  return `${lines.join("\n")}\n`;
}
