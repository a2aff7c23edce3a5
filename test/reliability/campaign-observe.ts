/**
 * What a sync run reported, seen where the state machine sees it: the outcomes the "Summarize run" task
 * receives (one per object: succeeded with its records and run date, which name its manifest, or failed
 * with the error's name). A failed execution has no output, but its summary input still says which
 * objects it reported succeeded.
 */
import {
  type ObjectOutcome,
  type ResultWriterDetails,
  readMapOutcomes,
} from "../../functions/core/extract/sync-summary";
import type { LocalHandler } from "../../local/stepfunctions/state-machine";

export type ReportedResult = ObjectOutcome & { status: string };

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
          resultWriter?: ResultWriterDetails;
        };
        if (payload.action === "summarize" && payload.runId) {
          const runId = payload.runId;
          // The Distributed Map's children wrote their outcomes to S3 (ResultWriter): read them as the
          // summary does.
          const written =
            payload.resultWriter === undefined
              ? []
              : ((await readMapOutcomes(
                  { store: runtime.store, layout: runtime.layout },
                  runId,
                  payload.resultWriter,
                )) as ReportedResult[]);
          // The manifest key as the summary derives it from the kept run date.
          const named = (result: ReportedResult): ReportedResult =>
            result.runDate && !result.manifestKey
              ? { ...result, manifestKey: runtime.layout.manifest(result.object, result.runDate, runId) }
              : result;
          this.reported.set(
            runId,
            [...written, ...(payload.results ?? []), ...(payload.failed ?? [])].map(named),
          );
        }
        return inner.invoke(event, runtime, remainingMs);
      },
    };
  }
}
