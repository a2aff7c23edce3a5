import { ConfigurationError } from "../errors";
import type { SalesforceClient } from "../salesforce/client";
import { type DescribeFailure, describeGlobal, describeMany, describeObject } from "../salesforce/describe";
import {
  buildStream,
  type CatalogChanges,
  type CatalogStream,
  diffStream,
  hasChanges,
  type StreamChanges,
  type SyncMode,
} from "./catalog";
import {
  type CatalogIndex,
  readCatalogIndex,
  readStream,
  writeCatalogChanges,
  writeCatalogIndex,
  writeStream,
} from "./catalog-store";
import { applyColumnControls, type ColumnControls, checkControlObjects } from "./column-controls";
import { carryLakeTypes } from "./lake/lake-names";
import type { Layout } from "./layout";
import { ObjectFilter } from "./patterns";
import type { Log, ObjectStore } from "./ports";

export interface DiscoverDeps {
  salesforce: SalesforceClient;
  store: ObjectStore;
  layout: Layout;
  connection: string;
  log: Log;
}

export interface DiscoverSettings {
  include: string[];
  exclude: string[];
  /** `blockFields` and `hashFields`, applied to every stream (unknown field names fail discover). */
  columns?: ColumnControls;
}

export interface DiscoverResult {
  index: CatalogIndex;
  changes: CatalogChanges;
  /** Objects whose describe failed: they keep their previous catalog version, and are reported. */
  failed: DescribeFailure[];
}

/** Catalog streams read and written at once. */
const STREAMS_AT_ONCE = 16;

/** The lake remembers each column's first type, so a retyped field gets a column of its own. */
function rememberLakeTypes(previous: CatalogStream, next: CatalogStream): void {
  const lakeTypes = carryLakeTypes(previous, next);
  if (lakeTypes !== undefined) next.lakeTypes = lakeTypes;
}

function sameStream(a: CatalogStream, b: CatalogStream): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Discover: list the org's queryable objects, keep those the patterns select, describe them in
 * batches of 25, and write each stream whose description changed as a new catalog version, with the
 * changes recorded. Unchanged streams keep their version, so the catalog only grows when the org does.
 */
export async function discover(
  deps: DiscoverDeps,
  settings: DiscoverSettings,
  now: Date,
): Promise<DiscoverResult> {
  const { salesforce, store, layout, log } = deps;
  const filter = new ObjectFilter(settings.include, settings.exclude);
  const globals = await describeGlobal(salesforce);
  checkControlObjects(
    settings.columns,
    globals.map((object) => object.name),
  );
  const selected = globals
    .filter((object) => object.queryable && filter.matches(object.name))
    .map((o) => o.name);
  log.info("discover: objects selected", { available: globals.length, selected: selected.length });

  const { described, failed } = await describeMany(salesforce, selected);
  for (const failure of failed) log.warn("discover: describe failed", { ...failure });

  const previous = await readCatalogIndex(store, layout);
  const index: CatalogIndex = {
    connection: deps.connection,
    apiVersion: salesforce.apiVersion,
    version: previous?.version ?? 0,
    discoveredAt: now.toISOString(),
    streams: {},
  };
  const changes: CatalogChanges = { objectsAdded: [], objectsRemoved: [], streams: [] };
  const failedNames = new Set(failed.map((failure) => failure.object));

  // Each stream is compared with its last version and written when it changed: a read and maybe a write
  // per object, a few objects at a time (an org can have a thousand), recorded in the describe order.
  // Column controls are checked for every object before any stream is written: a typo fails the whole
  // discover, naming the object and field, instead of leaving a catalog half of one configuration.
  const built = described.map((describe) => applyColumnControls(buildStream(describe), settings.columns));
  const refresh = async (stream: CatalogStream) => {
    const before = previous?.streams[stream.object];
    let diff: StreamChanges | undefined;
    if (before) {
      const old = await readStream(store, before.key);
      rememberLakeTypes(old, stream);
      if (sameStream(old, stream)) return { object: stream.object, entry: before };
      diff = diffStream(old, stream);
    }
    const version = (before?.version ?? 0) + 1;
    const key = await writeStream(store, layout, stream.object, version, stream);
    return {
      object: stream.object,
      entry: { version, key, cursorField: stream.cursorField },
      added: !before,
      diff,
    };
  };
  for (let start = 0; start < described.length; start += STREAMS_AT_ONCE) {
    const refreshed = await Promise.all(built.slice(start, start + STREAMS_AT_ONCE).map(refresh));
    for (const { object, entry, added, diff } of refreshed) {
      index.streams[object] = entry;
      if (added) changes.objectsAdded.push(object);
      if (diff && hasChanges(diff)) changes.streams.push(diff);
    }
  }
  // An object whose describe failed this time keeps its last good version.
  for (const name of failedNames) {
    const before = previous?.streams[name];
    if (before) index.streams[name] = before;
  }
  for (const name of Object.keys(previous?.streams ?? {})) {
    if (!index.streams[name]) changes.objectsRemoved.push(name);
  }

  const changed =
    !previous ||
    changes.objectsAdded.length + changes.objectsRemoved.length > 0 ||
    Object.entries(index.streams).some(([name, entry]) => previous.streams[name]?.version !== entry.version);
  if (changed) {
    index.version += 1;
    await writeCatalogChanges(store, layout, index.version, changes);
    log.info("discover: catalog changed", {
      version: index.version,
      added: changes.objectsAdded.length,
      removed: changes.objectsRemoved.length,
      changedStreams: changes.streams.length,
    });
  }
  await writeCatalogIndex(store, layout, index);
  return { index, changes, failed };
}

/**
 * Re-describe one object and save its stream as a new version when it changed (extract calls this
 * when a field it selects has disappeared, so a removed field does not fail the sync).
 */
export async function refreshStream(
  deps: DiscoverDeps,
  object: string,
  columns?: ColumnControls,
): Promise<{ stream: CatalogStream; key: string; version: number }> {
  const { salesforce, store, layout } = deps;
  const stream = applyColumnControls(buildStream(await describeObject(salesforce, object)), columns);
  const index = await readCatalogIndex(store, layout);
  const before = index?.streams[object];
  if (before) {
    const old = await readStream(store, before.key);
    rememberLakeTypes(old, stream);
    if (sameStream(old, stream)) return { stream: old, key: before.key, version: before.version };
  }
  const version = (before?.version ?? 0) + 1;
  const key = await writeStream(store, layout, object, version, stream);
  if (index) {
    index.streams[object] = { version, key, cursorField: stream.cursorField };
    index.version += 1;
    await writeCatalogIndex(store, layout, index);
  }
  return { stream, key, version };
}

export interface StreamSelection {
  /** Objects (names or patterns) to sync; default: every stream in the catalog. */
  objects?: string[];
  /** Mode per object name or pattern; otherwise `defaultMode`. */
  modes?: Record<string, SyncMode>;
  defaultMode?: SyncMode;
}

/**
 * One object a sync will extract, in which mode, from which catalog version: discover's plan of a run.
 * The sync state machine adds the run id to each, which makes it an extract's `ExtractTask`.
 */
export interface PlannedObject {
  object: string;
  mode: SyncMode;
  catalogKey: string;
}

/**
 * Which streams a sync extracts, in which mode. Incremental needs a cursor field: objects without
 * one run as full refresh (said in the log), never silently skipped.
 */
export function selectTasks(index: CatalogIndex, selection: StreamSelection, log: Log): PlannedObject[] {
  const names = Object.keys(index.streams).sort();
  let chosen = names;
  if (selection.objects && selection.objects.length > 0) {
    const unknown = selection.objects.filter(
      (pattern) => !names.some((name) => new ObjectFilter([pattern]).matches(name)),
    );
    if (unknown.length > 0) {
      throw new ConfigurationError(
        `Unknown object${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}: not in the catalog (check the spelling, that the integration user can query it, and that the discover include/exclude patterns select it).`,
        { object: unknown[0] },
      );
    }
    const filter = new ObjectFilter(selection.objects);
    chosen = names.filter((name) => filter.matches(name));
  }
  const modeRules = Object.entries(selection.modes ?? {}).map(([pattern, mode]) => ({
    filter: new ObjectFilter([pattern]),
    mode,
  }));
  const tasks: PlannedObject[] = [];
  for (const object of chosen) {
    const entry = index.streams[object];
    if (!entry) continue;
    let mode =
      modeRules.find((rule) => rule.filter.matches(object))?.mode ?? selection.defaultMode ?? "incremental";
    if (mode === "incremental" && !entry.cursorField) {
      log.info("sync: no cursor field, using full refresh", { object });
      mode = "full_refresh";
    }
    tasks.push({ object, mode, catalogKey: entry.key });
  }
  return tasks;
}

/**
 * The run's plan in S3 (`runs/<runId>/objects.json`, a JSON array): the sync's Distributed Map reads its
 * items there, so the execution's 256 KiB state never holds the list and no object count caps a run.
 */
export async function writePlannedObjects(
  store: ObjectStore,
  layout: Layout,
  runId: string,
  objects: readonly PlannedObject[],
): Promise<string> {
  const key = layout.runObjects(runId);
  await store.put(key, JSON.stringify(objects), { contentType: "application/json" });
  return key;
}

/** A run's plan as discover wrote it; an absent plan is an empty one. */
export async function readPlannedObjects(
  store: ObjectStore,
  layout: Layout,
  runId: string,
): Promise<PlannedObject[]> {
  const bytes = await store.get(layout.runObjects(runId));
  return bytes ? (JSON.parse(new TextDecoder().decode(bytes)) as PlannedObject[]) : [];
}
