// functions/discover/: the discover Lambda: refresh the catalog, plan the run's objects
import * as z from "zod";
import { HASH_KEY_HELP } from "../core/column-controls";
import { discover, selectTasks, writePlannedObjects } from "../core/discover";
import { assertRunId } from "../core/layout";
import { ObjectFilter } from "../core/patterns";
import { columnControlsOf } from "../core/settings";
import { ConfigurationError } from "../errors";
import { defineHandler } from "../runtime/lambda";

const DiscoverInput = z.object({
  /** The execution name: it names the run's folders and holds the leases. */
  runId: z.string().min(1),
  /** The execution's input, as typed in the console or sent by the schedule. */
  request: z
    .object({
      /** Sync only these objects (names or globs) this time; default: the configured objects. */
      objects: z.array(z.string()).optional(),
      /** Force one mode for this run (e.g. a full refresh started by hand). */
      mode: z.enum(["full_refresh", "incremental"]).optional(),
    })
    .passthrough()
    .default({}),
});

export type DiscoverInput = z.infer<typeof DiscoverInput>;

/** What discover answers: the sync execution's state (the objects themselves are in S3). */
export interface DiscoverOutput {
  runId: string;
  catalogVersion: number;
  changes: {
    counts: { objectsAdded: number; objectsRemoved: number; streamsChanged: number };
    /** The first names of each kind; the catalog's change record in S3 holds them all. */
    objectsAdded: string[];
    objectsRemoved: string[];
    streamsChanged: string[];
  };
  apiCalls: number;
  /** Objects whose describe failed: reported as failed, never skipped. */
  failed: Array<{ object: string; status: "failed"; error: { name: string; message: string } }>;
  /**
   * What the run extracts, in which mode: `runs/<runId>/objects.json`, a JSON array the sync's Distributed
   * Map reads (adding the run id to each), never the execution's state.
   */
  objectsKey: string;
  /** How many objects the plan holds. */
  objectCount: number;
}

/** Names listed per kind of catalog change (all of them are in the catalog's change record in S3). */
const MAX_CHANGES_LISTED = 50;

/**
 * Discover: refresh the catalog from the org's describe, then list the objects this run extracts.
 * Objects whose describe failed are returned as failures so the run reports them, never skips them.
 */
export const discoverHandler = defineHandler(
  "discover",
  DiscoverInput,
  async (input, { runtime }): Promise<DiscoverOutput> => {
    const runId = assertRunId(input.runId);
    const { config, store, layout, log } = runtime;
    const { request } = input;
    // A bad pattern in the execution input is refused before any API call is spent.
    if (request.objects) new ObjectFilter(request.objects);
    const salesforce = (await runtime.salesforce()).withOwnCounter();
    const columns = columnControlsOf(config.settings);
    // Hashed fields are never landed in clear: without the secret's key the run is refused up front.
    const hashed = Object.values(config.settings.hashFields).flat();
    if (hashed.length > 0 && (await runtime.hashKey()) === undefined) {
      throw new ConfigurationError(
        `hashFields is set (${hashed.slice(0, 5).join(", ")}), but the connection's secret has no hashKey: ${HASH_KEY_HELP}.`,
      );
    }
    const result = await discover(
      { salesforce, store, layout, connection: config.connection, log },
      { include: config.settings.include, exclude: config.settings.exclude, columns },
      new Date(),
    );
    const objects = request.objects ?? config.settings.objects;
    const tasks = selectTasks(
      result.index,
      {
        objects,
        modes: request.mode ? {} : config.settings.modes,
        defaultMode: request.mode ?? config.settings.defaultMode,
      },
      log,
    );
    const objectsKey = await writePlannedObjects(store, layout, runId, tasks);
    const failed = result.failed
      .filter((failure) => !tasks.some((task) => task.object === failure.object))
      .map((failure) => ({
        object: failure.object,
        status: "failed" as const,
        error: {
          name: "DescribeFailed",
          message: `${failure.errorCode ?? failure.statusCode}: ${failure.message}`,
        },
      }));
    const { objectsAdded, objectsRemoved, streams } = result.changes;
    // The answer is the execution's state: short, whatever the number of objects.
    return {
      runId,
      catalogVersion: result.index.version,
      changes: {
        counts: {
          objectsAdded: objectsAdded.length,
          objectsRemoved: objectsRemoved.length,
          streamsChanged: streams.length,
        },
        objectsAdded: objectsAdded.slice(0, MAX_CHANGES_LISTED),
        objectsRemoved: objectsRemoved.slice(0, MAX_CHANGES_LISTED),
        streamsChanged: streams.slice(0, MAX_CHANGES_LISTED).map((stream) => stream.object),
      },
      apiCalls: salesforce.totalCalls,
      failed,
      objectsKey,
      objectCount: tasks.length,
    };
  },
  (input) => ({ runId: input.runId }),
);

export const handler = discoverHandler.handler;
