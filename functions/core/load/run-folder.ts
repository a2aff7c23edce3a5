import type { LoadState, PartKind } from "./load-state";

/**
 * Where a run keeps its working files: `results/<inbound key>/_run/<runId>/`. Every key is
 * deterministic, so an action that is repeated overwrites what its first attempt wrote instead of
 * adding to it. The final result files sit one level up, beside `_run/`.
 */

type RunRef = Pick<LoadState, "resultsFolder" | "runId">;

const pad = (index: number) => String(index).padStart(5, "0");

export function runFolder(state: RunRef): string {
  return `${state.resultsFolder}_run/${state.runId}/`;
}

export function checkpointKey(state: RunRef): string {
  return `${runFolder(state)}checkpoint.json`;
}

export function planKey(state: RunRef): string {
  return `${runFolder(state)}plan.json`;
}

/** The rows of a collections call in flight (written before the call, read only after a crash). */
export function inflightRowsKey(state: RunRef, seq: number): string {
  return `${runFolder(state)}inflight-${pad(seq)}.csv`;
}

/** A result part. Retry parts also carry the round they feed. */
export function partKey(state: RunRef, kind: PartKind, index: number, round = 0): string {
  const name = kind === "retry" ? `retry-r${round}` : kind;
  return `${runFolder(state)}parts/${name}-${pad(index)}.csv`;
}

/** A job file written while validating (round 0's valid rows, split at jobMaxBytes). */
export function stagedJobKey(state: RunRef, index: number): string {
  return `${runFolder(state)}staged/job-${pad(index)}.csv`;
}

export const RESULT_FILES = ["success", "failed", "unprocessed", "rejected", "unchanged"] as const;
/**
 * What a dry run writes beside summary.json and plan.json: plan.csv, and every result file its summary
 * names (header-only but rejected.csv: nothing was sent).
 */
export const DRY_RUN_FILES = ["plan", ...RESULT_FILES] as const;
export type ResultFile = (typeof RESULT_FILES)[number] | (typeof DRY_RUN_FILES)[number];

export function resultFileKey(
  state: Pick<LoadState, "resultsFolder">,
  file: ResultFile | "summary" | "planJson",
): string {
  const name = file === "summary" ? "summary.json" : file === "planJson" ? "plan.json" : `${file}.csv`;
  return `${state.resultsFolder}${name}`;
}
