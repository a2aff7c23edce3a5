import { SalesforceCsvWriter } from "../formats/load/salesforce-csv-writer";
import type { LoadDeps } from "./load-deps";
import type { LoadPlan } from "./load-plan";
import type { LoadState, LoadSummary, PartKind } from "./load-state";
import { partColumns } from "./result-sink";
import { csvHeaderOnly, readCsvRecords, withoutHeader } from "./row-codec";
import { DRY_RUN_FILES, partKey, RESULT_FILES, resultFileKey } from "./run-folder";

/**
 * The end of a load: the parts of each kind joined into one result file each (`success.csv`,
 * `failed.csv`, `unprocessed.csv`, `rejected.csv`, streamed, header first), and `summary.json`.
 */

/** The rows of one part, read and written again under the final header (narrower rows padded). */
async function* reencoded(
  part: AsyncIterable<Uint8Array>,
  writer: SalesforceCsvWriter,
  width: number,
): AsyncGenerator<Uint8Array> {
  const records = readCsvRecords(part);
  await records.header();
  for await (const batch of records.rows()) {
    for (const row of batch) {
      writer.write(
        row.length === width
          ? row
          : [...row, ...new Array(Math.max(0, width - row.length)).fill("")].slice(0, width),
      );
    }
    yield* writer.takeChunks();
  }
}

/**
 * Join each kind's parts (in order) into its result file; every file is written, header-only when
 * empty. Parts of rows Salesforce answered have the final columns, so their rows are copied as bytes
 * after their header line (whose names — API names — hold no line break). Rejected rows of a JSON lines
 * file may have been written before a later line revealed another column: they are read and written
 * again so they line up under the final header.
 */
export async function writeResultFiles(deps: LoadDeps, state: LoadState, plan: LoadPlan): Promise<void> {
  for (const file of state.dryRun ? DRY_RUN_FILES : RESULT_FILES) {
    const kind: PartKind = file;
    const columns = partColumns(kind, plan);
    const parts = state.parts[kind] ?? 0;
    async function* body(): AsyncGenerator<Uint8Array> {
      yield csvHeaderOnly(columns);
      const writer = new SalesforceCsvWriter(columns, {
        maxFileBytes: Number.MAX_SAFE_INTEGER,
        chunkBytes: 256 * 1024,
      });
      for (let index = 0; index < parts; index++) {
        const { body: part } = await deps.store.stream(partKey(state, kind, index));
        try {
          if (kind === "rejected") yield* reencoded(part, writer, columns.length);
          else yield* withoutHeader(part);
        } finally {
          part.destroy();
        }
      }
      if (writer.totals.rows > 0) {
        // The writer put the header before its first row: drop it, it was written first.
        yield* withoutHeader(writer.endFile());
      }
    }
    await deps.store.upload(resultFileKey(state, file), body(), { contentType: "text/csv" });
  }
}

export function resultFiles(state: Pick<LoadState, "resultsFolder" | "dryRun">): LoadSummary["files"] {
  const files: LoadSummary["files"] = {
    summary: resultFileKey(state, "summary"),
    success: resultFileKey(state, "success"),
    failed: resultFileKey(state, "failed"),
    unprocessed: resultFileKey(state, "unprocessed"),
    rejected: resultFileKey(state, "rejected"),
    unchanged: resultFileKey(state, "unchanged"),
  };
  if (state.dryRun) {
    files.plan = resultFileKey(state, "planJson");
    files.planCsv = resultFileKey(state, "plan");
  }
  return files;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** The one-line account of a finished load. */
export function outcomeMessage(state: LoadState, outcome: LoadSummary["outcome"]): string {
  const { counts, target } = state;
  const what = `${target.operation} of ${state.file.key} into ${target.object}`;
  const parts = [
    `${counts.succeeded} succeeded`,
    `${counts.failed} failed`,
    `${counts.unprocessed} unprocessed`,
    `${counts.rejected} rejected`,
  ];
  if (counts.unchanged) parts.push(`${counts.unchanged} unchanged (not sent)`);
  const where = `see ${state.resultsFolder}`;
  if (outcome === "planned") {
    const planned = Object.entries(state.planned ?? {})
      .filter(([, n]) => n > 0)
      .map(([fate, n]) => `${n} ${fate}`);
    return `Dry run of the ${what}: nothing was sent. Of ${plural(counts.read, "row")}: ${[...planned, `${counts.rejected} rejected`].join(", ")}; see ${resultFileKey(state, "planJson")} and plan.csv.`;
  }
  if (outcome === "succeeded") {
    if (counts.unchanged) {
      return `The ${what} loaded all ${plural(counts.read, "row")}: ${counts.succeeded} sent, ${counts.unchanged} unchanged and not sent; ${where}.`;
    }
    return `The ${what} loaded all ${plural(counts.read, "row")}; ${where}.`;
  }
  if (outcome === "partial") {
    return `The ${what} loaded ${counts.succeeded} of ${plural(counts.read, "row")} (${parts.join(", ")}); ${where}.`;
  }
  return `The ${what} did not finish (${parts.join(", ")} so far); ${where}.`;
}

export function buildSummary(
  deps: LoadDeps,
  state: LoadState,
  outcome: LoadSummary["outcome"],
  message: string,
): LoadSummary {
  const finishedAt = new Date((deps.now ?? Date.now)());
  const seconds = Math.max(0, (finishedAt.getTime() - Date.parse(state.timings.claimedAt)) / 1000);
  const summary: LoadSummary = {
    status: "finished",
    outcome,
    message,
    runId: state.runId,
    bucket: state.file.bucket,
    key: state.file.key,
    version: state.file.version,
    object: state.target.object,
    operation: state.target.operation,
    counts: { ...state.counts },
    retried: Object.values(state.retriedCodes).reduce((sum, n) => sum + n, 0),
    errorCodes: { ...state.errorCodes },
    retriedCodes: { ...state.retriedCodes },
    jobIds: state.jobs.map((job) => job.id),
    rounds: state.round + 1,
    apiCalls: state.apiCalls,
    timings: { ...state.timings, finishedAt: finishedAt.toISOString(), seconds },
    resultsFolder: state.resultsFolder,
    files: resultFiles(state),
  };
  if (state.target.externalIdField) summary.externalIdField = state.target.externalIdField;
  if (state.api) summary.api = state.api;
  if (state.dryRun) summary.dryRun = true;
  if (state.diffSource) summary.diffSource = { ...state.diffSource };
  if (state.planned) summary.planned = { ...state.planned };
  return summary;
}

/**
 * A dry run's plan.json: what a real load of the file would do — the API, its calls or jobs, the rows
 * it would send, and every row's fate (plan.csv lists them) — and where current values came from.
 */
export async function writeDryRunPlan(deps: LoadDeps, state: LoadState, plan: LoadPlan): Promise<void> {
  const sends = state.validRows ?? 0;
  const api = state.api ?? "collections";
  const out = {
    dryRun: true,
    key: state.file.key,
    object: state.target.object,
    operation: state.target.operation,
    ...(state.target.externalIdField ? { externalIdField: state.target.externalIdField } : {}),
    columns: plan.columns.map((column) => column.name),
    skipUnchanged: state.skipUnchanged === true,
    rows: { read: state.counts.read, rejected: state.counts.rejected, wouldSend: sends },
    fates: { ...(state.planned ?? {}) },
    api,
    // Collections send 200 rows a call; Bulk ingest splits jobs at jobMaxBytes of CSV (estimated from the file).
    ...(api === "collections"
      ? { calls: Math.ceil(sends / 200) }
      : {
          jobs: sends === 0 ? 0 : Math.max(1, Math.ceil((state.file.size ?? 0) / deps.settings.jobMaxBytes)),
        }),
    ...(state.diffSource ? { diffSource: { ...state.diffSource } } : {}),
    files: { plan: resultFileKey(state, "plan"), rejected: resultFileKey(state, "rejected") },
  };
  await deps.store.put(resultFileKey(state, "planJson"), `${JSON.stringify(out, null, 2)}\n`, {
    contentType: "application/json",
  });
}

export async function writeSummary(deps: LoadDeps, summary: LoadSummary): Promise<void> {
  await deps.store.put(summary.files.summary, `${JSON.stringify(summary, null, 2)}\n`, {
    contentType: "application/json",
  });
}
