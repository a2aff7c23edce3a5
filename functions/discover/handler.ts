import * as z from "zod";
import { discover, selectTasks } from "../core/discover";
import { assertRunId } from "../core/layout";
import { ObjectFilter } from "../core/patterns";
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

/**
 * Discover: refresh the catalog from the org's describe, then list the objects this run extracts.
 * Objects whose describe failed are returned as failures so the run reports them, never skips them.
 */
export const discoverHandler = defineHandler("discover", DiscoverInput, async (input, { runtime }) => {
  const runId = assertRunId(input.runId);
  const { config, store, layout, log } = runtime;
  const { request } = input;
  // A bad pattern in the execution input is refused before any API call is spent.
  if (request.objects) new ObjectFilter(request.objects);
  const salesforce = (await runtime.salesforce()).withOwnCounter();
  const result = await discover(
    { salesforce, store, layout, connection: config.connection, log },
    { include: config.settings.include, exclude: config.settings.exclude },
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
  return {
    runId,
    catalogVersion: result.index.version,
    changes: {
      objectsAdded: result.changes.objectsAdded,
      objectsRemoved: result.changes.objectsRemoved,
      streamsChanged: result.changes.streams.map((stream) => stream.object),
    },
    apiCalls: salesforce.totalCalls,
    failed,
    tasks: tasks.map((task) => ({ runId, ...task })),
  };
});

export const handler = discoverHandler.handler;
