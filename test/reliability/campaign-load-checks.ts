/**
 * The load invariants for one inbound file, once every execution announced for it has ended:
 *
 * - its claim is settled (succeeded, partial or failed), never left "loading" where no retry can take
 *   it over;
 * - summary.json exists, its counts match the result files, and when the load finished every row read is
 *   accounted for exactly once: success + failed + unprocessed + rejected = rows read, no row in two files;
 * - rows the file made invalid are rejected, rows Salesforce must refuse never succeed;
 * - in the org: no record is created twice (counted by the row's unique token, inserts included), every
 *   success is really there (created, updated or deleted), nothing rejected or failed was written.
 */
import type { Org } from "../../emulator/org/types";
import type { LoadSummary } from "../../functions/core/load/load-state";
import { readCsvRecords } from "../../functions/core/load/row-codec";
import type { FileClaim, ObjectStore, StateStore } from "../../functions/core/ports";
import type { PlannedFile, PlannedRow } from "./campaign-load-files";

export interface LoadCheckResult {
  violations: string[];
  rowsAccounted: number;
  finished: boolean;
}

type Outcome = "success" | "failed" | "unprocessed" | "rejected";
const FILES: Outcome[] = ["success", "failed", "unprocessed", "rejected"];

async function readResultFile(
  store: ObjectStore,
  key: string,
): Promise<Array<Record<string, string>> | undefined> {
  const info = await store.head(key);
  if (!info) return undefined;
  const { body } = await store.stream(key);
  const records = readCsvRecords(body);
  const header = await records.header();
  const rows: Array<Record<string, string>> = [];
  for await (const batch of records.rows()) {
    for (const fields of batch)
      rows.push(Object.fromEntries(header.map((name, i) => [name, fields[i] ?? ""])));
  }
  return rows;
}

function recordsWithToken(org: Org, field: string, token: string): string[] {
  const escaped = token.replaceAll("\\", "\\\\").replaceAll("'", "\\'");
  const result = org.query(`SELECT Id FROM Account WHERE ${field} = '${escaped}'`, { includeDeleted: false });
  return [...result.rows()].map((row) => row.id);
}

/** The newest claim of a file version: retry runs take over with claims of their own, chained from the first. */
export async function latestClaim(
  state: StateStore,
  bucket: string,
  key: string,
  version: string,
): Promise<FileClaim | undefined> {
  let latest = await state.getFile({ bucket, key, version });
  for (let hops = 0; latest && hops < 20; hops++) {
    const next = await state.getFile({ bucket, key, version: `${version}#retry:${latest.runId}` });
    if (!next) break;
    latest = next;
  }
  return latest;
}

export async function checkLoadedFile(options: {
  label: string;
  file: PlannedFile;
  bucket: string;
  resultsFolder: string;
  /** The file version's claim key (`version` as S3 reports it). */
  version: string;
  store: ObjectStore;
  state: StateStore;
  org: Org;
}): Promise<LoadCheckResult> {
  const { file, org, label } = options;
  const violations: string[] = [];
  const say = (text: string) => violations.push(`${label} ${file.operation} ${file.key}: ${text}`);
  const latest = await latestClaim(options.state, options.bucket, file.key, options.version);
  if (!latest) {
    say("the file was never claimed: no load ran");
    return { violations, rowsAccounted: 0, finished: false };
  }
  if (latest.status === "loading") {
    say(`the claim of run ${latest.runId} is still "loading" after every execution ended: the file is stuck`);
  }
  const summaryBytes = await options.store.get(`${options.resultsFolder}summary.json`);
  if (!summaryBytes) {
    // Only a load whose claim step failed ends without a summary: then nothing may have been sent.
    if (latest.status !== "failed" || latest.summaryKey !== undefined)
      say(`no summary.json (claim ${latest.status})`);
    for (const row of file.rows) {
      if (wasWritten(org, file, row))
        say(`row ${row.token} was written by a load that never got past its claim`);
    }
    return { violations, rowsAccounted: 0, finished: false };
  }
  const summary = JSON.parse(new TextDecoder().decode(summaryBytes)) as LoadSummary;
  const finished = summary.outcome === "succeeded" || summary.outcome === "partial";
  const counts = summary.counts;
  const results = new Map<Outcome, Array<Record<string, string>>>();
  for (const kind of FILES) {
    const rows = await readResultFile(options.store, `${options.resultsFolder}${kind}.csv`);
    if (rows === undefined) {
      // A load that failed before it read a row (or a file rejected whole) has no results to write.
      const nothing = Object.values(summary.counts).every((n) => n === 0);
      if (summary.outcome !== "rejected" && !nothing)
        say(`${kind}.csv is missing (outcome ${summary.outcome})`);
      continue;
    }
    results.set(kind, rows);
  }
  const expected: Record<Outcome, number> = {
    success: counts.succeeded,
    failed: counts.failed,
    unprocessed: counts.unprocessed,
    rejected: counts.rejected,
  };
  for (const kind of FILES) {
    const rows = results.get(kind);
    if (rows && rows.length !== expected[kind]) {
      say(`${kind}.csv holds ${rows.length} rows, summary.json counts ${expected[kind]}`);
    }
  }
  if (finished) {
    const accounted = counts.succeeded + counts.failed + counts.unprocessed + counts.rejected;
    if (counts.read !== file.rows.length) say(`read ${counts.read} rows, the file has ${file.rows.length}`);
    if (accounted !== counts.read) say(`accounts for ${accounted} of ${counts.read} rows read`);
  }
  if (summary.outcome === "succeeded" && counts.succeeded !== counts.read) {
    say(`outcome succeeded with ${counts.succeeded} of ${counts.read} rows`);
  }

  // Where each planned row ended up: by token, and rejected rows also by line (a row the reader refused
  // whole has no values to carry its token).
  const byToken = new Map(file.rows.map((row) => [row.token, row]));
  const byLine = new Map(file.rows.map((row) => [row.line, row]));
  const outcomes = new Map<PlannedRow, Outcome>();
  const place = (row: PlannedRow | undefined, kind: Outcome, what: string) => {
    if (!row) {
      say(`${kind}.csv holds a row the file does not have (${what})`);
      return;
    }
    const before = outcomes.get(row);
    if (before) say(`row ${row.token} (line ${row.line}) is in both ${before}.csv and ${kind}.csv`);
    outcomes.set(row, kind);
  };
  for (const kind of FILES) {
    for (const result of results.get(kind) ?? []) {
      if (kind === "rejected") place(byLine.get(Number(result.line)), kind, `line ${result.line}`);
      else
        place(
          byToken.get(result[file.tokenColumn] ?? ""),
          kind,
          `${file.tokenColumn} ${result[file.tokenColumn]}`,
        );
    }
  }
  let rowsAccounted = 0;
  for (const row of file.rows) {
    const outcome = outcomes.get(row);
    if (outcome) rowsAccounted += 1;
    else if (finished) say(`row ${row.token} (line ${row.line}) is in no result file`);
    if (row.kind === "rejected" && outcome !== undefined && outcome !== "rejected") {
      say(`invalid row ${row.token} (line ${row.line}) was not rejected but ${outcome}`);
    }
    if (row.kind === "rejected" && finished && outcome !== "rejected") {
      say(`invalid row ${row.token} (line ${row.line}) is not in rejected.csv`);
    }
    if (row.kind !== "rejected" && outcome === "rejected") {
      say(`valid row ${row.token} (line ${row.line}) was rejected`);
    }
    if (row.kind === "failing" && outcome === "success") {
      say(`row ${row.token}, which Salesforce must refuse, is in success.csv`);
    }
    violations.push(
      ...orgChecks(org, file, row, outcome).map((text) => `${label} ${file.operation} ${file.key}: ${text}`),
    );
  }
  return { violations, rowsAccounted, finished };
}

/** What the org must show for one row, given where its outcome was reported. */
function orgChecks(org: Org, file: PlannedFile, row: PlannedRow, outcome: Outcome | undefined): string[] {
  const out: string[] = [];
  const where = `row ${row.token} (line ${row.line}, ${outcome ?? "no result"})`;
  switch (file.operation) {
    case "insert":
    case "upsert": {
      const ids = recordsWithToken(org, "ERP_Id__c", row.token);
      if (ids.length > 1) out.push(`${where}: ${ids.length} records carry its token, it was written twice`);
      const mustExist = outcome === "success" || (file.operation === "upsert" && row.existing === true);
      if (mustExist && ids.length !== 1) out.push(`${where}: no record carries its token`);
      const mustNotExist =
        (outcome === "failed" || outcome === "rejected") && !(file.operation === "upsert" && row.existing);
      if (mustNotExist && ids.length > 0)
        out.push(`${where}: a record was created although it is reported ${outcome}`);
      if (outcome === "success" && row.name !== undefined && ids.length === 1) {
        const name = org.get("Account", ids[0] as string)?.Name;
        if (name !== row.name)
          out.push(`${where}: the record's Name is ${JSON.stringify(name)}, not the row's`);
      }
      break;
    }
    case "update": {
      const record = row.target ? org.get("Account", row.target, { includeDeleted: true }) : undefined;
      if (outcome === "success" && record?.Description !== row.token) {
        out.push(`${where}: reported updated but its Description is ${JSON.stringify(record?.Description)}`);
      }
      if ((outcome === "rejected" || row.kind === "failing") && record?.Description === row.token) {
        out.push(`${where}: the record was updated although it is reported ${outcome}`);
      }
      break;
    }
    case "delete": {
      if (!row.target) break;
      const live = org.get("Account", row.target);
      if (outcome === "success" && live !== undefined)
        out.push(`${where}: reported deleted but the record is live`);
      if (row.kind === "rejected" && live === undefined) out.push(`${where}: deleted although rejected`);
      break;
    }
  }
  return out;
}

/** Whether the org shows the row's effect (a record with its token, its update, its delete). */
function wasWritten(org: Org, file: PlannedFile, row: PlannedRow): boolean {
  switch (file.operation) {
    case "insert":
      return recordsWithToken(org, "ERP_Id__c", row.token).length > 0;
    case "upsert":
      return !row.existing && recordsWithToken(org, "ERP_Id__c", row.token).length > 0;
    case "update":
      return row.target !== undefined && org.get("Account", row.target)?.Description === row.token;
    case "delete":
      return (
        row.kind !== "failing" && row.target !== undefined && org.get("Account", row.target) === undefined
      );
  }
}
