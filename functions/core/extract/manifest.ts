// The manifest: what a committed run wrote (its parts and totals), its window and cursors.
import type { ExtractApi, SyncMode } from "../catalog";
import type { ExtractFormat } from "../settings";
import type { ExtractDeps } from "./extract-deps";
import {
  type DeletesOutcome,
  type ExtractState,
  formatOf,
  type PartialPass,
  partKey,
  type ReconcileOutcome,
} from "./extract-state";

export interface Manifest {
  manifestVersion: 1;
  connection: string;
  object: string;
  mode: SyncMode;
  runId: string;
  api: ExtractApi;
  apiReason?: string;
  catalogKey: string;
  /** How the parts are written: `parquet` (typed, ZSTD inside) or `jsonl` (gzip JSON lines). */
  format: ExtractFormat;
  window: ExtractState["window"];
  cursorBefore?: string;
  cursorAfter?: string;
  warnings?: string[];
  parts: Array<{ key: string; records: number; bytes: number }>;
  /** Every row the parts hold: the query's, the delete log's, the reconciliation's and the partial reads'. */
  totals: { records: number; bytes: number; parts: number };
  /** What the org's delete log gave (incremental runs after the first). */
  deletes?: DeletesOutcome;
  /**
   * Id reconciliation, when the run did one: why, the snapshot's time and size, the deletes it found
   * and the rows it fetched again (both are parts above), and the API calls it cost.
   */
  reconcile?: ReconcileOutcome;
  /**
   * Partial reads, when the run made any: formula fields read again, fields new since the last run
   * backfilled (origin, fields, rows, parts, API calls). Their rows are parts above, not in `totals`.
   */
  partials?: PartialPass[];
  salesforceJobIds: string[];
  apiCalls: number;
  startedAt: string;
  committedAt: string;
}

/** The manifest of a run being committed: its parts' keys and sizes, totals, window and cursors. */
export function buildManifest(
  deps: Pick<ExtractDeps, "connection" | "layout">,
  state: ExtractState,
  cursorAfter: string | undefined,
  committedAt: string,
): Manifest {
  return {
    manifestVersion: 1,
    connection: deps.connection,
    object: state.object,
    mode: state.mode,
    runId: state.runId,
    api: state.api,
    apiReason: state.apiReason,
    catalogKey: state.catalogKey,
    format: formatOf(state),
    window: state.window,
    cursorBefore: state.cursorBefore,
    cursorAfter,
    ...(state.warnings ? { warnings: state.warnings } : {}),
    parts: state.parts.map(([index, records, bytes]) => ({
      key: partKey(deps.layout, state, index),
      records,
      bytes,
    })),
    totals: {
      records:
        state.records +
        (state.deletes?.found ?? 0) +
        (state.reconcile?.deletes ?? 0) +
        (state.reconcile?.refetched ?? 0) +
        (state.partials ?? []).reduce((sum, pass) => sum + pass.rows, 0),
      bytes: state.bytes,
      parts: state.parts.length,
    },
    ...(state.deletes ? { deletes: state.deletes } : {}),
    ...(state.reconcile ? { reconcile: state.reconcile } : {}),
    ...(state.partials && state.partials.length > 0 ? { partials: state.partials } : {}),
    salesforceJobIds: state.jobIds,
    apiCalls: state.apiCalls,
    startedAt: state.startedAt,
    committedAt,
  };
}
