import { randomBytes } from "node:crypto";
import { LOAD_EXECUTION_TIMEOUT_HOURS } from "../../contract";
import { ConfigurationError } from "../../errors";
import { assertApiName } from "../../salesforce/soql";
import { assertRunId, type InboundTarget } from "../layout";
import type { FileClaim, FileKey, ObjectInfo } from "../ports";
import { isoNow, type LoadDeps, nowOf } from "./load-deps";
import { DRY_RUN_FOLDER, type LoadRequest, parseLoadRequest } from "./load-request";
import { initialLoadState, type LoadState, type LoadTarget } from "./load-state";

/** What claim answers when the file version was claimed before: the state machine ends there. */
export interface DuplicateLoad {
  status: "duplicate";
  runId: string;
  bucket: string;
  key: string;
  version: string;
  /** The run that claimed this file version first. */
  firstRunId: string;
  /** The most recent run on it (differs from the first after manual retries) and its status. */
  latestRunId: string;
  latestStatus: FileClaim["status"] | "superseded";
  summaryKey?: string;
  message: string;
}

export interface ClaimInput {
  request: unknown;
  runId?: string;
}

/** A Lambda invocation in flight when its execution timed out runs at most this much longer. */
const LAMBDA_TIMEOUT_MS = 15 * 60_000;

/**
 * A claim still "loading" after its execution must have ended: the run died without recording its end
 * (its failure recording failed too). A manual retry may take it over, or the file would be stuck.
 */
function isAbandoned(claim: FileClaim, now: Date): boolean {
  if (claim.status !== "loading") return false;
  const claimedAt = Date.parse(claim.claimedAt);
  return (
    Number.isFinite(claimedAt) &&
    now.getTime() - claimedAt > LOAD_EXECUTION_TIMEOUT_HOURS * 3_600_000 + LAMBDA_TIMEOUT_MS
  );
}

/** The claim item of a retry run hangs off the run it replaces, so a chain of retries stays ordered. */
function retryVersion(version: string, failedRunId: string): string {
  return `${version}#retry:${failedRunId}`;
}

function generatedRunId(deps: LoadDeps): string {
  const stamp = new Date(nowOf(deps))
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  return `load-${stamp}-${randomBytes(4).toString("hex")}`;
}

function targetOf(deps: LoadDeps, request: LoadRequest): LoadTarget & { inDryRunFolder: boolean } {
  let parsed: InboundTarget | undefined;
  try {
    parsed = deps.layout.parseInbound(request.key);
  } catch (error) {
    if (!(request.object && request.operation)) throw error;
  }
  const object = request.object ?? parsed?.object;
  const operation = request.operation ?? parsed?.operation;
  if (!object || !operation) {
    throw new ConfigurationError(`Cannot tell which object and operation ${request.key} is for.`);
  }
  // Names go into API paths: one that is not an API name (`..`, `Account WHERE …`) is refused before any call.
  assertApiName(object, "object");
  const inDryRunFolder = parsed?.file.split("/")[0] === DRY_RUN_FOLDER;
  const target: LoadTarget & { inDryRunFolder: boolean } = { object, operation, inDryRunFolder };
  if (operation === "upsert") {
    const externalIdField =
      request.externalIdField ?? (parsed?.operation === "upsert" ? parsed.externalIdField : undefined);
    if (!externalIdField) {
      throw new ConfigurationError(
        `An upsert of ${request.key} into ${object} needs an external id field: put the file under inbound/${object}/upsert/<ExternalIdField>/ or pass "externalIdField".`,
        { object },
      );
    }
    target.externalIdField = assertApiName(externalIdField, "field");
  }
  return target;
}

async function locate(deps: LoadDeps, request: LoadRequest): Promise<{ key: string; info: ObjectInfo }> {
  const store = deps.storeFor(request.bucket);
  const info = await store.head(request.key);
  if (info) return { key: request.key, info };
  if (request.rawKey) {
    const raw = await store.head(request.rawKey);
    if (raw) return { key: request.rawKey, info: raw };
  }
  throw new ConfigurationError(
    `s3://${request.bucket}/${request.key} does not exist (any more): nothing to load. Check the key, or whether the file was moved or deleted.`,
    { code: "NoSuchKey" },
  );
}

/** Follow the retry chain from the first claim to the newest one. */
async function newestClaim(deps: LoadDeps, file: FileKey, first: FileClaim): Promise<FileClaim> {
  let current = first;
  for (let hops = 0; hops < 100; hops++) {
    const next = await deps.state.getFile({ ...file, version: retryVersion(file.version, current.runId) });
    if (!next) return current;
    current = next;
  }
  return current;
}

function duplicate(
  runId: string,
  file: FileKey,
  first: FileClaim,
  latest: FileClaim,
  why: string,
): DuplicateLoad {
  const out: DuplicateLoad = {
    status: "duplicate",
    runId,
    bucket: file.bucket,
    key: file.key,
    version: file.version,
    firstRunId: first.runId,
    latestRunId: latest.runId,
    latestStatus: latest.status,
    message: `s3://${file.bucket}/${file.key} (version ${file.version}) was already claimed by run ${first.runId}${latest.runId === first.runId ? "" : ` (latest run ${latest.runId})`}, status ${latest.status}: ${why}`,
  };
  if (latest.summaryKey) out.summaryKey = latest.summaryKey;
  return out;
}

/**
 * Claim: read the request, find the file and its version, and claim that version for this run in the
 * state table. A second delivery of the same event finds the claim and ends as a duplicate. A manual
 * `retry: true` takes over a version whose last run failed — and only then.
 */
export async function claimLoad(deps: LoadDeps, input: ClaimInput): Promise<LoadState | DuplicateLoad> {
  const request = parseLoadRequest(input.request);
  const runId = assertRunId(input.runId ?? generatedRunId(deps));
  const { inDryRunFolder, ...target } = targetOf(deps, request);
  const { key, info } = await locate(deps, request);
  const dryRun = request.dryRun ?? inDryRunFolder;
  const skipUnchanged =
    (request.skipUnchanged ?? deps.settings.skipUnchanged) &&
    (target.operation === "update" || target.operation === "upsert");
  const wanted = request.versionId ?? request.etag;
  const current = request.versionId !== undefined ? info.versionId : info.etag;
  const version = wanted ?? info.versionId ?? info.etag;
  if (!version) {
    throw new ConfigurationError(
      `s3://${request.bucket}/${key} has neither a version id nor an ETag to claim.`,
    );
  }
  const file: FileKey = { bucket: request.bucket, key, version };
  if (dryRun) {
    // A dry run sends nothing, so it takes no claim: the same file version may be loaded for real after.
    const resultsFolder = deps.layout.resultsFolder(key);
    const state = initialLoadState({
      runId,
      file: { bucket: file.bucket, key, version, claimVersion: version, size: info.size },
      target,
      resultsFolder: inDryRunFolder ? resultsFolder : `${resultsFolder}${DRY_RUN_FOLDER}/`,
      claimedAt: isoNow(deps),
    });
    state.dryRun = true;
    if (skipUnchanged) state.skipUnchanged = true;
    deps.log.info("load: dry run", { runId, bucket: file.bucket, key, version, ...target });
    return state;
  }
  const now = new Date(nowOf(deps));
  const claimed = await deps.state.claimFile(file, runId, now);
  let claimVersion = version;
  if (!claimed.claimed) {
    const latest = await newestClaim(deps, file, claimed.existing);
    if (latest.runId === runId && latest.status === "loading") {
      // This run claimed the file in an attempt whose answer was lost (a retried step): it is its own.
      claimVersion = latest.version;
    } else if (!request.retry) {
      return duplicate(
        runId,
        file,
        claimed.existing,
        latest,
        'each file version is loaded once. To load it again, start the load by hand with "retry": true after a failed run, or upload the file again.',
      );
    } else if (latest.status !== "failed" && !isAbandoned(latest, now)) {
      return duplicate(
        runId,
        file,
        claimed.existing,
        latest,
        `"retry" takes over only a run that failed (or one still "loading" ${LOAD_EXECUTION_TIMEOUT_HOURS} hours after it claimed, which its execution cannot outlive); this one is ${latest.status}.`,
      );
    } else {
      const takeover = { ...file, version: retryVersion(version, latest.runId) };
      const retried = await deps.state.claimFile(takeover, runId, now);
      if (!retried.claimed) {
        return duplicate(
          runId,
          file,
          claimed.existing,
          retried.existing,
          "another retry took it over first.",
        );
      }
      claimVersion = takeover.version;
      deps.log.info("load: retry run took over a failed claim", { runId, failedRunId: latest.runId, key });
    }
  }
  // The event names one version; S3 serves the current one. Loading a newer version under an older
  // version's claim would load it twice (its own event claims it too), so the older run stands down.
  if (wanted !== undefined && current !== undefined && wanted !== current) {
    await deps.state.finishFile({ ...file, version: claimVersion }, runId, { status: "failed" }, now);
    return {
      status: "duplicate",
      runId,
      bucket: file.bucket,
      key,
      version,
      firstRunId: runId,
      latestRunId: runId,
      latestStatus: "superseded",
      message: `s3://${file.bucket}/${key} was replaced (now ${current}) after the event for version ${version}: the newer version's own load loads it; this run stands down.`,
    };
  }
  const state = initialLoadState({
    runId,
    file: { bucket: file.bucket, key, version, claimVersion, size: info.size },
    target,
    resultsFolder: deps.layout.resultsFolder(key),
    claimedAt: isoNow(deps),
  });
  if (skipUnchanged) state.skipUnchanged = true;
  deps.log.info("load: claimed", { runId, bucket: file.bucket, key, version, ...target });
  return state;
}

/**
 * After the claim step failed: the claim this run wrote before failing, if any, is marked failed (a claim
 * of another run is left alone). Returns it, or undefined when this run holds none.
 */
export async function releaseOwnClaim(
  deps: LoadDeps,
  input: unknown,
  runId: string,
  now: Date,
): Promise<FileClaim | undefined> {
  const request = parseLoadRequest(input);
  const { key, info } = await locate(deps, request);
  const version = request.versionId ?? request.etag ?? info.versionId ?? info.etag;
  if (!version) return undefined;
  const file: FileKey = { bucket: request.bucket, key, version };
  let claim = await deps.state.getFile(file);
  for (let hops = 0; claim !== undefined && hops < 100; hops++) {
    if (claim.runId === runId) {
      if (claim.status === "loading") {
        await deps.state.finishFile({ ...file, version: claim.version }, runId, { status: "failed" }, now);
      }
      return claim;
    }
    claim = await deps.state.getFile({ ...file, version: retryVersion(version, claim.runId) });
  }
  return undefined;
}
