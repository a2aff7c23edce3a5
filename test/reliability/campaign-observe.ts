/**
 * What a sync run reported, seen where the state machine sees it: the results the "Summarize run" task
 * receives (one per object: succeeded with its manifest, or failed with the error). A failed execution
 * has no output, but its summary input still says which objects it reported succeeded.
 */
import type { ExtractSummary } from "../../functions/core/extract";
import type { LocalHandler } from "../../local/state-machine";

export type ReportedResult = Partial<ExtractSummary> & { object: string; status: string };

export class RunObserver {
  private readonly reported = new Map<string, ReportedResult[]>();

  /** The per-object results run `runId` reported (empty when it never reached its summary). */
  resultsOf(runId: string): Map<string, ReportedResult> {
    return new Map((this.reported.get(runId) ?? []).map((result) => [result.object, result]));
  }

  /** Wraps the extract handler: records the summarize input, passes everything through. */
  wrap(inner: LocalHandler): LocalHandler {
    return {
      invoke: async (event, runtime, remainingMs) => {
        const payload = event as {
          action?: string;
          runId?: string;
          results?: ReportedResult[];
          failed?: ReportedResult[];
        };
        if (payload.action === "summarize" && payload.runId) {
          this.reported.set(payload.runId, [...(payload.results ?? []), ...(payload.failed ?? [])]);
        }
        return inner.invoke(event, runtime, remainingMs);
      },
    };
  }
}
