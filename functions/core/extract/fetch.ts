// Fetch: write parts (Bulk pages, REST parts, a reconciliation's Ids and rows) until done or time is short.
import { readStream } from "../catalog-store";
import { counted, type ExtractDeps, partColumnsOf, streamKey } from "./extract-deps";
import type { ExtractState } from "./extract-state";
import { fetchBulkPage } from "./fetch-bulk-page";
import { fetchRestPart } from "./fetch-rest-part";
import { afterRead, fetchPartial } from "./partial";
import { fetchIds, landReconcile } from "./reconcile";

/** Run pages until done or the invocation's time is nearly up; always at least one page. */
export async function fetchExtract(
  deps: ExtractDeps,
  state: ExtractState,
  remainingMs: () => number,
): Promise<ExtractState> {
  const now = deps.now ?? Date.now;
  await deps.state.renewLease(streamKey(deps, state.object), state.runId, deps.settings.leaseMs, now());
  const stream = await readStream(deps.store, state.catalogKey);
  const columns = partColumnsOf(stream, deps.hashKey);
  return counted(deps, async () => {
    let current: ExtractState = { ...state, parts: [...state.parts] };
    let slowestPageMs = 0;
    do {
      const started = Date.now();
      current =
        current.phase === "ids"
          ? await fetchIds(deps, current, remainingMs)
          : current.phase === "land"
            ? await landReconcile(deps, current)
            : current.phase === "partial"
              ? await fetchPartial(deps, current, remainingMs)
              : current.api === "bulk"
                ? await fetchBulkPage(deps, current, columns)
                : await fetchRestPart(deps, current, columns, remainingMs);
      slowestPageMs = Math.max(slowestPageMs, Date.now() - started);
    } while (
      current.status === "fetching" &&
      remainingMs() - deps.settings.safetyMarginMs > slowestPageMs * 1.5
    );
    // The query is in: its delete log, the Id snapshot when the run reconciles, the partial reads due.
    return afterRead(deps, current, remainingMs);
  });
}
