import type { ExtractSummary } from "./extract";

export interface SyncSummary {
  runId: string;
  objects: number;
  succeeded: number;
  failed: number;
  records: number;
  apiCalls: number;
  failures: Array<{ object: string; error: string }>;
  manifests: string[];
  /** One line for the Step Functions console (the Fail state's cause). */
  message: string;
}

/** The run's outcome over every object; the state machine fails the execution when any object failed. */
export function summarizeSync(
  runId: string,
  results: Array<Partial<ExtractSummary> & { object: string }>,
): SyncSummary {
  const failures = results
    .filter((result) => result.status !== "succeeded")
    .map((result) => ({
      object: result.object,
      error: result.error ? `${result.error.name}: ${result.error.message}` : "failed",
    }));
  const succeeded = results.length - failures.length;
  const records = results.reduce(
    (sum, result) => sum + (result.status === "succeeded" ? (result.records ?? 0) : 0),
    0,
  );
  const apiCalls = results.reduce((sum, result) => sum + (result.apiCalls ?? 0), 0);
  const message =
    failures.length === 0
      ? `${succeeded} objects synced, ${records} records.`
      : `${failures.length} of ${results.length} objects failed: ${failures
          .map((failure) => `${failure.object} (${failure.error})`)
          .join("; ")
          .slice(0, 4000)}`;
  return {
    runId,
    objects: results.length,
    succeeded,
    failed: failures.length,
    records,
    apiCalls,
    failures,
    manifests: results.flatMap((result) => (result.manifestKey ? [result.manifestKey] : [])),
    message,
  };
}
