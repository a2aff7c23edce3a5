import { describeError } from "../../errors";
import { isoNow, type LoadDeps } from "./load-deps";
import type { LoadState } from "./load-state";

/**
 * The last load of each object, as the lake's freshness sees it: `results/_loads/<Object>.json`, written
 * before a load sends its first row (`sendingSince`) and again when it ends (`finishedAt`). The current-
 * state table holds the org as of its last sync's window end; a load that changed records after that
 * is invisible to it, so a comparison with the table (skipUnchanged, dry runs) would call a row that puts
 * a value back "unchanged" while the org holds the load's. The comparison reads this marker and asks the
 * org unless the last load ended before the table's window.
 */

export interface LoadMarker {
  object: string;
  runId: string;
  key: string;
  sendingSince: string;
  finishedAt?: string;
}

const decoder = new TextDecoder();

export function loadMarkerKey(deps: Pick<LoadDeps, "layout">, object: string): string {
  return `${deps.layout.resultsFolder("_loads")}${object}.json`;
}

export async function readLoadMarker(deps: LoadDeps, object: string): Promise<LoadMarker | undefined> {
  const bytes = await deps.store.get(loadMarkerKey(deps, object));
  return bytes === undefined ? undefined : (JSON.parse(decoder.decode(bytes)) as LoadMarker);
}

async function write(deps: LoadDeps, marker: LoadMarker): Promise<void> {
  await deps.store.put(loadMarkerKey(deps, marker.object), `${JSON.stringify(marker, null, 2)}\n`, {
    contentType: "application/json",
  });
}

/** Before the load's first send (again after a crash: the same marker). */
export async function markSending(deps: LoadDeps, state: LoadState): Promise<void> {
  if (state.dryRun || state.markedAt !== undefined) return;
  const sendingSince = isoNow(deps);
  await write(deps, {
    object: state.target.object,
    runId: state.runId,
    key: state.file.key,
    sendingSince,
  });
  state.markedAt = sendingSince;
}

/**
 * When the load ends, however: its marker gets the end, unless a later load's marker replaced it (that
 * one ends later). A failure here is logged, never the load's: the marker stays "sending", and
 * comparisons ask the org, the safe side.
 */
export async function markFinished(deps: LoadDeps, state: LoadState): Promise<void> {
  if (state.markedAt === undefined) return;
  try {
    const marker = await readLoadMarker(deps, state.target.object);
    if (marker !== undefined && marker.runId !== state.runId) return;
    await write(deps, {
      object: state.target.object,
      runId: state.runId,
      key: state.file.key,
      sendingSince: state.markedAt,
      finishedAt: isoNow(deps),
    });
  } catch (error) {
    deps.log.warn("load: could not record the load's end for the lake's freshness", {
      runId: state.runId,
      error: describeError(error),
    });
  }
}
