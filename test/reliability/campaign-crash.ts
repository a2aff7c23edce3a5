/**
 * Crashes at step boundaries: a handler wrapper that, for some invocations the seed picks, throws
 * before the real action runs (the Lambda died on start) or after it ran (the part is written, the job
 * created, the checkpoint saved — and the answer is lost, as when a Lambda times out on return).
 *
 * The error's name decides how Step Functions re-drives, exactly as it would in AWS:
 * - `Lambda.ServiceException` is in every task's Retry list: the same step runs again with the same input;
 * - `Sandbox.Timedout` (a Lambda time-out) is retried by nothing: the task's Catch takes it, the object
 *   or the load is recorded as failed, and the next run (or a manual retry) has to repair.
 */
import type { LocalHandler } from "../../local/stepfunctions/state-machine";
import type { Random } from "./campaign-random";

export const RETRIED_CRASH = "Lambda.ServiceException";
export const FATAL_CRASH = "Sandbox.Timedout";

export interface CrashPlan {
  /** Whether crashes are injected at all (a campaign turns them off for its repair run). */
  enabled: boolean;
  /** Chance that an eligible invocation crashes. */
  rate: number;
  /** Actions that may crash (`discover` for the discover handler, which has no action). */
  actions: readonly string[];
  /** Actions that may crash with the fatal error; the others only crash with the retried one. */
  fatalActions: readonly string[];
  /** Share of crashes that are fatal, where allowed. */
  fatalShare: number;
}

export class InjectedCrash extends Error {
  constructor(name: string, action: string, when: "before" | "after") {
    super(
      `Injected crash ${when} ${action}: the invocation died${when === "after" ? " after doing its work" : ""}.`,
    );
    this.name = name;
  }
}

/** Wraps a handler module so that the plan's crashes happen around its real actions. */
export function crashing(
  inner: LocalHandler,
  random: Random,
  plan: CrashPlan,
  count: (key: string) => void,
): LocalHandler {
  return {
    async invoke(event, runtime, remainingMs) {
      const action = (event as { action?: string }).action ?? "discover";
      if (!plan.enabled || !plan.actions.includes(action) || !random.chance(plan.rate)) {
        return inner.invoke(event, runtime, remainingMs);
      }
      const when = random.chance(0.5) ? "before" : "after";
      const fatal = plan.fatalActions.includes(action) && random.chance(plan.fatalShare);
      const name = fatal ? FATAL_CRASH : RETRIED_CRASH;
      if (when === "after") await inner.invoke(event, runtime, remainingMs);
      count(`${action} ${when} ${name}`);
      throw new InjectedCrash(name, action, when);
    },
  };
}
