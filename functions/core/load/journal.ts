import { ConfigurationError } from "../../errors";
import type { LoadDeps } from "./load-deps";
import type { LoadState } from "./load-state";
import { checkpointKey } from "./run-folder";

/**
 * The run's checkpoint in S3. Step Functions retries an action with the input it gave the failed
 * attempt, which may be older than what that attempt already did in Salesforce (a Lambda that timed
 * out after sending three collections calls). Each action therefore starts from the newer of its
 * payload and the checkpoint, and writes a checkpoint around every step that changes Salesforce.
 */

const decoder = new TextDecoder();

export async function readCheckpoint(
  deps: LoadDeps,
  ref: Pick<LoadState, "resultsFolder" | "runId">,
): Promise<LoadState | undefined> {
  const bytes = await deps.store.get(checkpointKey(ref));
  if (bytes === undefined) return undefined;
  try {
    return JSON.parse(decoder.decode(bytes)) as LoadState;
  } catch (cause) {
    throw new ConfigurationError(
      `The load checkpoint ${checkpointKey(ref)} is not valid JSON; it was changed outside SaddleData. Restore it or start the load again with "retry": true.`,
      { cause },
    );
  }
}

/** Write the state as the newest checkpoint (its `seq` is increased in place). */
export async function checkpoint(deps: LoadDeps, state: LoadState): Promise<void> {
  state.seq += 1;
  await deps.store.put(checkpointKey(state), JSON.stringify(state), { contentType: "application/json" });
}

/** The newer of the payload and the last checkpoint, as a private copy the action may change. */
export async function latestState(deps: LoadDeps, payload: LoadState): Promise<LoadState> {
  const saved = await readCheckpoint(deps, payload);
  const newest = saved !== undefined && saved.seq > payload.seq ? saved : payload;
  if (newest !== payload) {
    deps.log.warn("load: resuming from the checkpoint, newer than the action's input", {
      runId: payload.runId,
      payloadSeq: payload.seq,
      checkpointSeq: newest.seq,
    });
  }
  return structuredClone(newest);
}
