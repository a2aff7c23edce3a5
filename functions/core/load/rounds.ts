import type { LoadSettings } from "../settings";
import { DEFAULT_SAFETY_MARGIN_MS, isoNow, type LoadDeps } from "./load-deps";
import type { LoadApi, LoadState, LoadTarget } from "./load-state";

/**
 * Round bookkeeping shared by the actions: which API a round uses, what happens when a round's rows
 * are all accounted for, how long to wait, and whether an invocation has time for one more step.
 */

/** Small files go through sObject Collections (synchronous, 200 a call); big ones and hardDelete through Bulk. */
export function chooseApi(target: LoadTarget, rows: number, settings: LoadSettings): LoadApi {
  if (target.operation === "hardDelete") return "bulk";
  return rows <= settings.collectionsMaxRows ? "collections" : "bulk";
}

/** Back-off before retry round `round` (1-based): retryWaitSeconds, doubling, at most an hour. */
export function retryWaitSeconds(settings: LoadSettings, round: number): number {
  return Math.min(3600, settings.retryWaitSeconds * 2 ** Math.max(0, round - 1));
}

/** Consecutive pauses tolerated before the load gives up. */
export const MAX_STALLS = 5;

/**
 * Every row of the round has an outcome or is staged: start the next round on the staged rows when
 * there are any (and rounds left — the sink stages nothing otherwise), else finish.
 */
export function endRound(deps: LoadDeps, state: LoadState): void {
  state.inflight = undefined;
  if (state.retryRows > 0) {
    state.round += 1;
    state.sourceParts = state.parts.retry;
    state.parts.retry = 0;
    state.sourceRows = state.retryRows;
    state.validRows = state.retryRows;
    state.retryRows = 0;
    state.position = 0;
    state.phase = "send";
    state.api = chooseApi(state.target, state.validRows, deps.settings);
    state.status = "retrying";
    state.waitSeconds = retryWaitSeconds(deps.settings, state.round);
    deps.log.info("load: retrying rows that failed for a transient reason", {
      runId: state.runId,
      round: state.round,
      rows: state.validRows,
      api: state.api,
      retriedCodes: state.retriedCodes,
    });
    return;
  }
  state.timings.submittedAt ??= isoNow(deps);
  state.status = "finishing";
}

/** Tracks the slowest step so far and says whether another one fits in the invocation. */
export class TimeBudget {
  private slowestMs = 0;
  private started = 0;
  steps = 0;

  constructor(
    private readonly remainingMs: () => number,
    private readonly marginMs: number,
  ) {}

  static of(deps: LoadDeps, remainingMs: () => number): TimeBudget {
    return new TimeBudget(remainingMs, deps.safetyMarginMs ?? DEFAULT_SAFETY_MARGIN_MS);
  }

  begin(): void {
    this.started = Date.now();
  }

  end(): void {
    this.steps += 1;
    this.slowestMs = Math.max(this.slowestMs, Date.now() - this.started);
  }

  /** Always one step per invocation; more while the slowest step so far fits with the margin to spare. */
  hasTimeForAnother(): boolean {
    if (this.steps === 0) return true;
    return this.remainingMs() - this.marginMs > this.slowestMs * 1.5;
  }
}
