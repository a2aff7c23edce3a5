// Start: lease the object, check the org's limits, compute the window, start the Bulk job (or REST).
import { ConfigurationError } from "../../errors";
import { createQueryJob } from "../../salesforce/bulk-query";
import { checkApiReserve, checkLimitReserve } from "../../salesforce/limits";
import { startRestQuery } from "../../salesforce/rest-query";
import { buildSelect, type WindowClause } from "../../salesforce/soql";
import { readStream } from "../catalog-store";
import { refreshStream } from "../discover";
import { assertRunId } from "../layout";
import { limitsObserver } from "../run-metrics";
import { counted, type ExtractDeps, isBulkUnsupported, iso, partColumnsOf, streamKey } from "./extract-deps";
import type { ExtractState, ExtractTask } from "./extract-state";
import { fetchRestPart } from "./fetch-rest-part";
import { afterRead, planPartials } from "./partial";
import { reconcileAtStart } from "./reconcile";

const floorToSecond = (ms: number) => Math.floor(ms / 1000) * 1000;

/**
 * Start: take the object's lease, check the org's limits, compute the window from the org's clock,
 * and start a Bulk query job (or prepare the REST query).
 */
export async function startExtract(
  deps: ExtractDeps,
  task: ExtractTask,
  remainingMs: () => number = () => 900_000,
): Promise<ExtractState> {
  assertRunId(task.runId);
  const now = deps.now ?? Date.now;
  const { settings, salesforce } = deps;
  const key = streamKey(deps, task.object);
  const lease = await deps.state.acquireLease(key, task.runId, settings.leaseMs, now());
  try {
    return await counted(deps, async () => {
      let stream = await readStream(deps.store, task.catalogKey);
      let catalogKey = task.catalogKey;
      // A fresh usage header (free) or one /limits call: both also tell the org's time.
      let limitsRead = await checkApiReserve(salesforce, settings.reserve, limitsObserver(deps.metrics));
      // The org's clock, not ours: a skewed local clock must not skip rows.
      const serverNow = salesforce.serverNow();
      const field = stream.cursorField;
      if (task.mode === "incremental" && !field) {
        throw new ConfigurationError(
          `${task.object} has no cursor field (SystemModstamp, LastModifiedDate or CreatedDate), so it can only be synced with full_refresh.`,
          { object: task.object },
        );
      }
      let window: WindowClause | undefined;
      if (field) {
        const end = floorToSecond(serverNow - settings.lagMs);
        let start: number | undefined;
        if (task.mode === "incremental") {
          if (lease.cursor) start = floorToSecond(Date.parse(lease.cursor) - settings.lookbackMs);
          else if (settings.startDate) start = floorToSecond(Date.parse(settings.startDate));
        }
        window = { field, start, end };
      }
      const operation = task.mode === "incremental" && stream.hasIsDeleted ? "queryAll" : "query";
      const warnings: string[] = [];
      // queryAll sees a deleted row only while it sits in the recycle bin, and the delete log keeps no
      // longer: after a longer gap (or on its schedule) the run reconciles Ids after its query.
      const reconcile = reconcileAtStart(settings, task.mode, lease, serverNow);
      if (reconcile !== undefined) {
        deps.log.info("extract: the run reconciles Ids", { object: task.object, reason: reconcile });
      }
      // Formula fields due, fields new since the last commit: read after the query, as partial rows.
      const partials = await planPartials(deps, task.mode, stream, lease, serverNow);
      const startedAt = iso(now());
      const state: ExtractState = {
        ...task,
        catalogKey,
        status: "fetching",
        api: stream.api,
        apiReason: stream.apiReason,
        format: settings.format,
        jobTag: "r0",
        runDate: startedAt.slice(0, 10),
        startedAt,
        window: {
          field: field ?? null,
          start: window?.start === undefined ? undefined : iso(window.start),
          end: window ? iso(window.end) : undefined,
        },
        cursorBefore: lease.cursor,
        ...(warnings.length > 0 ? { warnings } : {}),
        ...(reconcile === undefined ? {} : { reconcile: { reason: reconcile, apiCalls: 0 } }),
        ...(partials.length > 0 ? { partials } : {}),
        soql: buildSelect(task.object, stream.selectFields, window),
        operation,
        jobIds: [],
        parts: [],
        records: 0,
        bytes: 0,
        apiCalls: 0,
        polls: 0,
        waitSeconds: settings.pollFirstSeconds,
      };
      if (window?.start !== undefined && window.start >= window.end) {
        // Ran again within the lag: nothing can be read yet. Commit an empty window (cursor unchanged).
        state.status = "ready";
        state.expectedRecords = 0;
        return afterRead(deps, state, remainingMs);
      }
      if (stream.api === "rest") return state;

      const begin = async (begun: ExtractState): Promise<ExtractState> => {
        if (settings.restMaxRecords > 0) {
          // One REST page first: a small window (the usual incremental run) is done in a call or
          // two, where a Bulk job costs create, polls, results and delete.
          const page = await startRestQuery(salesforce, {
            object: task.object,
            soql: begun.soql,
            includeDeleted: operation === "queryAll",
            batchSize: settings.restBatchSize,
          });
          if (page.totalSize <= settings.restMaxRecords) {
            const rest: ExtractState = {
              ...begun,
              api: "rest",
              apiReason: `${page.totalSize} rows (at most ${settings.restMaxRecords}): REST costs fewer API calls than a Bulk job`,
            };
            return fetchRestPart(deps, rest, partColumnsOf(stream, deps.hashKey), remainingMs, page);
          }
        }
        if (!limitsRead && settings.reserve.dailyBulkQueryJobs) {
          await checkLimitReserve(
            salesforce,
            {
              dailyApiRequests: settings.reserve.dailyApiRequests,
              dailyBulkQueryJobs: settings.reserve.dailyBulkQueryJobs,
            },
            limitsObserver(deps.metrics),
          );
          limitsRead = true;
        }
        const job = await createQueryJob(salesforce, { object: task.object, soql: begun.soql, operation });
        return { ...begun, status: "polling", jobId: job.id, jobIds: [job.id], jobTag: job.id };
      };

      try {
        // A small window may be read whole already: then its delete log, and any reconciliation.
        return await afterRead(deps, await begin(state), remainingMs);
      } catch (error) {
        if (error instanceof ConfigurationError && error.code === "INVALID_FIELD") {
          // A field was removed since discover: re-describe, save the new catalog version, retry once.
          const refreshed = await refreshStream(deps, task.object, deps.settings.columnControls);
          stream = refreshed.stream;
          catalogKey = refreshed.key;
          deps.log.warn("extract: schema changed since discover, refreshed the stream", {
            object: task.object,
            catalogKey,
          });
          return await afterRead(
            deps,
            await begin({
              ...state,
              catalogKey,
              soql: buildSelect(task.object, stream.selectFields, window),
              partials: await planPartials(deps, task.mode, stream, lease, serverNow),
            }),
            remainingMs,
          );
        }
        if (isBulkUnsupported(error)) {
          deps.log.warn("extract: Bulk API refused the object, using REST", { object: task.object });
          return {
            ...state,
            api: "rest",
            apiReason: `Bulk API 2.0 refused the query: ${(error as Error).message}`,
          };
        }
        throw error;
      }
    });
  } catch (error) {
    await deps.state.release(key, task.runId, { status: "failed", error: (error as Error).message });
    throw error;
  }
}
