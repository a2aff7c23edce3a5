/**
 * The discover, extract and lake handler modules, unchanged, with a window onto each invocation: the command
 * line reports a sync from what the handlers return (the per-object summaries reach the execution's
 * output only when every object succeeded) and draws its progress from them.
 */
import { discoverHandler } from "../../functions/discover/handler";
import { extractHandler } from "../../functions/extract/handler";
import { lakeHandler } from "../../functions/lake/handler";
import type { Runtime } from "../../functions/runtime/runtime";
import type { LocalHandler } from "../stepfunctions/state-machine";

export interface HandlerCall {
  fn: "discover" | "extract" | "lake";
  event: unknown;
  result?: unknown;
  error?: unknown;
}

function observed(
  fn: HandlerCall["fn"],
  handler: LocalHandler,
  observe: (call: HandlerCall) => void,
): LocalHandler {
  return {
    async invoke(event: unknown, runtime: Runtime, remainingMs: () => number) {
      try {
        const result = await handler.invoke(event, runtime, remainingMs);
        observe({ fn, event, result });
        return result;
      } catch (error) {
        observe({ fn, event, error });
        throw error;
      }
    },
  };
}

export function observedSyncHandlers(observe: (call: HandlerCall) => void): {
  discover: LocalHandler;
  extract: LocalHandler;
  lake: LocalHandler;
} {
  return {
    discover: observed("discover", discoverHandler, observe),
    extract: observed("extract", extractHandler, observe),
    lake: observed("lake", lakeHandler, observe),
  };
}
