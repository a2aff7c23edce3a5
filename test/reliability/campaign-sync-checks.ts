/**
 * The sync invariants, checked after every execution against the org and what landed in S3:
 *
 * 1. Nothing landed is corrupt: every part gunzips, every line is a JSON object, counts match the
 *    manifest, no record twice in one run.
 * 2. The cursor never points past data that is in S3: every org record whose cursor-field value is below
 *    the cursor has landed with that version or a later one (records touched late since the object's last
 *    success are exempt until its next run, which must pick them up from the lookback).
 * 3. No object is reported succeeded without being fully landed: its manifest holds exactly the org's
 *    records of its window, each as the org holds it.
 * 4. After a successful execution the union of landed data equals the org: every record's latest landed
 *    version is the org's (soft-deleted ones flagged `IsDeleted: true`; formula fields excluded), and
 *    nothing landed that the org never had.
 * 5. Every lease is released; a failed object's cursor stays put (when no crash could have hit a commit).
 * 6. The commit index: commits 1 to the stream's sequence each point at a landed manifest, each run
 *    once, the last at the stream's last manifest; the lake's watermark never passes the commits.
 * 7. After a successful execution every current-state table, read the way `saddledata query` reads it
 *    (the local lake over the bucket), is merged through the last commit and holds exactly the org's
 *    live records of the synced window (soft deletes gone): one row per Id, each column as the org
 *    holds it (compared as in 4; records changed at or after the cursor are due in the next run).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Org } from "../../emulator/org/types";
import type { CatalogStream } from "../../functions/core/catalog";
import { readCatalogIndex, readStream } from "../../functions/core/catalog-store";
import type { Manifest } from "../../functions/core/extract/manifest";
import { quoteIdentifier } from "../../functions/core/lake/merge-sql";
import type { Layout } from "../../functions/core/layout";
import type { ObjectStore, StateStore } from "../../functions/core/ports";
import { fieldRecords, readRows } from "../../local/demo/landed";
import { LakeCache } from "../../local/lake/lake-tables";
import { type LocalLake, openLocalLake } from "../../local/lake/local-lake";
import type { LocalExecution } from "../../local/stepfunctions/state-machine";
import { type LandedRecord, latestVersions, readLanded } from "./campaign-landed";
import type { ReportedResult } from "./campaign-observe";
import { differences, type OrgRecord, orgRecords } from "./campaign-org-view";

export interface SyncCheckTarget {
  org: Org;
  store: ObjectStore;
  state: StateStore;
  layout: Layout;
  connection: string;
  objects: readonly string[];
}

export interface RunExpectations {
  /** Prefix of every violation, e.g. `sync seed 4 round 2`. */
  label: string;
  /** The run must succeed (faults and crashes were off). */
  mustSucceed: boolean;
  /** No crash could have lost a commit's answer: a failed object must keep its cursor. */
  strictFailures: boolean;
  cursorsBefore: ReadonlyMap<string, string | undefined>;
  /** What the run reported per object (the summarize task's input): see campaign-observe.ts. */
  reported: ReadonlyMap<string, ReportedResult>;
}

export interface CheckResult {
  violations: string[];
  recordsChecked: number;
  /** Current-state rows whose formula fields were compared too (the run had read them whole). */
  formulaRowsChecked?: number;
}

/** A sync execution's output is the run summary (the Summarize run task's answer). */
interface SyncOutput {
  failed?: number;
  message?: string;
}

export class SyncChecker {
  /** Records touched with a timestamp in the past since their object last succeeded. */
  private readonly late = new Map<string, Set<string>>();

  constructor(private readonly target: SyncCheckTarget) {}

  /** Records hard-deleted from the org, with when (org clock), by object. */
  private readonly gone = new Map<string, Map<string, number>>();

  hardDeleted(object: string, id: string, at: number): void {
    let ids = this.gone.get(object);
    if (!ids) {
      ids = new Map();
      this.gone.set(object, ids);
    }
    ids.set(id, at);
  }

  touchedLate(object: string, id: string): void {
    let ids = this.late.get(object);
    if (!ids) {
      ids = new Set();
      this.late.set(object, ids);
    }
    ids.add(id);
  }

  async cursorsNow(): Promise<Map<string, string | undefined>> {
    const out = new Map<string, string | undefined>();
    for (const object of this.target.objects) {
      const state = await this.target.state.get({ connection: this.target.connection, object });
      out.set(object, state?.cursor);
    }
    return out;
  }

  private async streams(): Promise<Map<string, CatalogStream>> {
    const { store, layout } = this.target;
    const index = await readCatalogIndex(store, layout);
    const out = new Map<string, CatalogStream>();
    for (const object of this.target.objects) {
      const entry = index?.streams[object];
      if (entry) out.set(object, await readStream(store, entry.key));
    }
    return out;
  }

  async afterRun(execution: LocalExecution, expect: RunExpectations): Promise<CheckResult> {
    const violations: string[] = [];
    let recordsChecked = 0;
    let formulaRowsChecked = 0;
    const say = (object: string, text: string) => violations.push(`${expect.label} ${object}: ${text}`);
    const output = (execution.output ?? {}) as SyncOutput;
    const results = expect.reported;
    const succeeded = execution.status === "SUCCEEDED";
    if (expect.mustSucceed && !succeeded) {
      violations.push(`${expect.label}: the repair run failed: ${execution.error}: ${execution.cause}`);
    }
    if (succeeded && (output.failed ?? 0) !== 0) {
      violations.push(`${expect.label}: the execution succeeded although ${output.message}`);
    }
    const streams = await this.streams();
    for (const object of this.target.objects) {
      const stream = streams.get(object);
      const result = results.get(object);
      if (succeeded && result?.status !== "succeeded") {
        say(object, `the execution succeeded but the object's result is ${JSON.stringify(result)}`);
      }
      if (!succeeded && execution.error === "SyncFailed" && result?.status === "failed") {
        if (!execution.cause?.includes(object))
          say(object, `failed but the execution's cause does not name it`);
      }
      const state = await this.target.state.get({ connection: this.target.connection, object });
      if (state?.leaseHolder !== undefined)
        say(object, `the lease of run ${state.leaseHolder} is still held`);
      const before = expect.cursorsBefore.get(object);
      if (expect.strictFailures && result?.status !== "succeeded" && state?.cursor !== before) {
        say(object, `the object did not succeed but its cursor moved from ${before} to ${state?.cursor}`);
      }
      const landed = await readLanded(this.target.store, this.target.layout.prefix, object);
      for (const problem of landed.problems) say(object, problem);
      // 6. The commit index the lake merges from.
      const commitSeq = state?.commitSeq ?? 0;
      const manifests = new Set(landed.runs.map((run) => run.manifestKey));
      const indexedRuns = new Set<string>();
      for (let seq = 1; seq <= commitSeq; seq++) {
        const pointer = landed.commits.get(seq);
        if (!pointer) say(object, `commit ${seq} of ${commitSeq} has no pointer`);
        else if (!manifests.has(pointer.manifestKey))
          say(object, `commit ${seq} points at ${pointer.manifestKey}, which did not land`);
        else if (indexedRuns.has(pointer.runId)) say(object, `run ${pointer.runId} holds two commit numbers`);
        else indexedRuns.add(pointer.runId);
      }
      const last = landed.commits.get(commitSeq);
      if (commitSeq > 0 && state?.lastStatus === "succeeded" && last?.manifestKey !== state.lastManifestKey) {
        say(
          object,
          `the last commit ${commitSeq} points at ${last?.manifestKey}, not ${state.lastManifestKey}`,
        );
      }
      for (const [engine, table] of Object.entries(state?.lake ?? {})) {
        if ((table.mergedSeq ?? 0) > commitSeq) {
          say(object, `the ${engine} lake watermark ${table.mergedSeq} is past the last commit ${commitSeq}`);
        }
      }
      if (!stream) {
        if (landed.runs.length > 0) say(object, "data landed but the object is not in the catalog");
        continue;
      }
      const cursorField = stream.cursorField ?? "SystemModstamp";
      const org = orgRecords(this.target.org, stream);
      const latest = latestVersions(landed, cursorField);
      const late = this.late.get(object) ?? new Set<string>();

      // 3. A success claim: the manifest holds exactly the window's records, as the org holds them.
      if (result?.status === "succeeded") {
        const run = landed.runs.find((candidate) => candidate.manifestKey === result.manifestKey);
        if (!run) say(object, `reported succeeded but its manifest ${result.manifestKey} did not land`);
        else {
          const [reconciledDeletes, refetched] = result.reconciled ?? [0, 0];
          const [formulaRows, , , backfillRows] = result.partial ?? [0, 0, 0, 0];
          const reported =
            (result.records ?? 0) +
            (result.deletes ?? 0) +
            reconciledDeletes +
            refetched +
            formulaRows +
            backfillRows;
          if (run.manifest.totals.records !== reported) {
            say(
              object,
              `reported ${result.records} records, ${result.deletes} logged deletes, ${reconciledDeletes + refetched} reconciled and ${formulaRows + backfillRows} partial rows; its manifest holds ${run.manifest.totals.records}`,
            );
          }
          for (const [origin, rows] of run.found) {
            const expected = {
              reconcile: reconciledDeletes,
              refetch: refetched,
              formula: formulaRows,
              backfill: backfillRows,
            }[origin];
            if (rows.size !== expected)
              say(object, `${rows.size} rows landed with _origin ${origin}, reported ${expected}`);
          }
          if (run.logged.size !== (run.manifest.deletes?.found ?? 0)) {
            say(
              object,
              `the manifest says the delete log gave ${run.manifest.deletes?.found}, ${run.logged.size} landed`,
            );
          }
          const start = run.manifest.window.start ? Date.parse(run.manifest.window.start) : -Infinity;
          const end = run.manifest.window.end ? Date.parse(run.manifest.window.end) : Infinity;
          let inWindow = 0;
          for (const record of org.values()) {
            if (record.stamp < start || record.stamp >= end) continue;
            inWindow += 1;
            recordsChecked += 1;
            const got = run.records.get(record.id);
            if (!got)
              say(object, `${record.id} (stamp ${iso(record.stamp)}) is in the window but not in the run`);
            else {
              const diff = differences(stream, got, record.record);
              if (diff.length > 0) say(object, `${record.id} landed unlike the org: ${diff.join("; ")}`);
            }
          }
          if (inWindow !== run.records.size) {
            say(object, `the run landed ${run.records.size} records, the org has ${inWindow} in its window`);
          }
          late.clear();
        }
      }

      // 2. The cursor never points past data that is not in S3: the fields the last committed run selected
      // (a field added since is backfilled by the next run that commits).
      const cursor = state?.cursor ? Date.parse(state.cursor) : undefined;
      const lastRun = landed.runs.find((run) => run.manifestKey === state?.lastManifestKey);
      const committedFields = new Set(
        lastRun === undefined
          ? stream.selectFields
          : (await readStream(this.target.store, lastRun.manifest.catalogKey)).selectFields,
      );
      const committed = {
        ...stream,
        selectFields: stream.selectFields.filter((name) => committedFields.has(name)),
      };
      if (cursor !== undefined) {
        for (const record of org.values()) {
          if (record.stamp >= cursor || late.has(record.id)) continue;
          recordsChecked += 1;
          const got = latest.get(record.id);
          const landedStamp = got ? Date.parse(String(got[cursorField])) : undefined;
          if (landedStamp === undefined || landedStamp < record.stamp) {
            say(
              object,
              `cursor ${state?.cursor} is past ${record.id} (stamp ${iso(record.stamp)}), whose version ${landedStamp === undefined ? "never landed" : `landed is older (${iso(landedStamp)})`}`,
            );
          } else if (landedStamp === record.stamp) {
            const diff = differences(committed, got as Record<string, unknown>, record.record);
            if (diff.length > 0)
              say(object, `${record.id}'s latest landed version differs: ${diff.join("; ")}`);
          }
        }
      }

      // 4. After a successful execution the union of landed data is the org's data.
      if (expect.mustSucceed) {
        const after = [...org.values()].filter((record) => cursor === undefined || record.stamp >= cursor);
        if (after.length > 0)
          say(object, `the repair run left ${after.length} records at or after its cursor`);
      }
      if (succeeded) {
        const gone = this.gone.get(object);
        for (const [id] of latest) {
          if (!org.has(id) && !gone?.has(id)) say(object, `${id} landed but the org never had it`);
        }
        for (const record of org.values()) {
          if (cursor === undefined || record.stamp >= cursor) continue;
          recordsChecked += 1;
          const got = latest.get(record.id);
          if (!got) continue; // reported above
          if (Date.parse(String(got[cursorField])) > record.stamp) {
            say(object, `${record.id} landed a version newer than the org's (${String(got[cursorField])})`);
          }
          if (record.deleted && got.IsDeleted !== true)
            say(object, `${record.id} was deleted but lands live`);
        }
      }
    }
    if (succeeded) {
      const tables = await this.currentStateTables(streams, expect.label);
      violations.push(...tables.violations);
      recordsChecked += tables.recordsChecked;
      formulaRowsChecked += tables.formulaRowsChecked ?? 0;
    }
    return { violations, recordsChecked, formulaRowsChecked };
  }

  /**
   * Whether the object's last committed run read its formula fields whole (a formula refresh, a full
   * refresh, a stream's first read): then the table's formula columns must equal the org's too.
   */
  private async formulasFresh(object: string): Promise<boolean> {
    const { store, state, connection } = this.target;
    const key = (await state.get({ connection, object }))?.lastManifestKey;
    const bytes = key === undefined ? undefined : await store.get(key);
    if (bytes === undefined) return false;
    const manifest = JSON.parse(new TextDecoder().decode(bytes)) as Manifest;
    return (
      manifest.mode === "full_refresh" ||
      manifest.cursorBefore === undefined ||
      (manifest.partials ?? []).some((pass) => pass.origin === "formula" && pass.done)
    );
  }

  /**
   * 7. Each object's current-state table, read through the local lake as `saddledata query` reads it
   * (`SELECT * FROM <table>`), against the org: merged through the last commit, one row per Id, every
   * live record of the synced window there as the org holds it (compared as in 4), no deleted record
   * and nothing the org never had. Records changed at or after the cursor (or touched late) are due in
   * the next run: the table may hold an older version of them, or none.
   */
  private async currentStateTables(streams: Map<string, CatalogStream>, label: string): Promise<CheckResult> {
    const { store, state, layout, connection, org } = this.target;
    const violations: string[] = [];
    const say = (object: string, text: string) => violations.push(`${label} ${object}: ${text}`);
    let recordsChecked = 0;
    let formulaRowsChecked = 0;
    const folder = await mkdtemp(join(tmpdir(), "campaign-lake-"));
    let lake: LocalLake | undefined;
    try {
      lake = await openLocalLake({ store, state, layout, connection, cache: new LakeCache(store, folder) });
      for (const object of this.target.objects) {
        const stream = streams.get(object);
        if (!stream) continue; // reported above
        const info = lake.tables.find((candidate) => candidate.object === object);
        if (!info) {
          say(object, "the execution succeeded but the lake has no current-state table for it");
          continue;
        }
        if (info.mergedSeq !== info.commitSeq) {
          say(
            object,
            `the current-state table is merged through commit ${info.mergedSeq}, the last commit is ${info.commitSeq}`,
          );
        }
        const { rows } = await readRows(lake.connection, quoteIdentifier(info.table));
        const table = new Map<string, LandedRecord>();
        for (const row of fieldRecords(rows, stream.selectFields)) {
          const id = String(row.Id);
          if (table.has(id)) say(object, `the current-state table holds ${id} twice`);
          table.set(id, row);
        }
        const records = orgRecords(org, stream);
        const cursor = (await state.get({ connection, object }))?.cursor;
        const formulas =
          (await this.formulasFresh(object)) && stream.fields.some((field) => field.calculated);
        const late = this.late.get(object) ?? new Set<string>();
        const due = (record: OrgRecord) =>
          cursor === undefined || record.stamp >= Date.parse(cursor) || late.has(record.id);
        // The delete log is read up to the window end's minute: a hard delete after it is due next run.
        const gone = this.gone.get(object);
        const logRead = cursor === undefined ? -Infinity : Math.floor(Date.parse(cursor) / 60_000) * 60_000;
        for (const [id, row] of table) {
          const record = records.get(id);
          const goneAt = gone?.get(id);
          if (!record && goneAt !== undefined) {
            if (goneAt < logRead)
              say(object, `the current-state table holds ${id}, hard-deleted at ${iso(goneAt)}`);
          } else if (!record) say(object, `the current-state table holds ${id}, which the org never had`);
          else if (due(record)) continue;
          else if (record.deleted) say(object, `the current-state table holds ${id}, deleted in the org`);
          else {
            recordsChecked += 1;
            if (formulas) formulaRowsChecked += 1;
            const diff = differences(stream, row, record.record, formulas);
            if (diff.length > 0) say(object, `${id} in the current-state table differs: ${diff.join("; ")}`);
          }
        }
        for (const record of records.values()) {
          if (record.deleted || due(record) || table.has(record.id)) continue;
          say(
            object,
            `${record.id} (stamp ${iso(record.stamp)}) is live in the org, not in the current-state table`,
          );
        }
      }
    } catch (error) {
      violations.push(`${label}: the local lake cannot be read: ${(error as Error).message}`);
    } finally {
      lake?.close();
      await rm(folder, { recursive: true, force: true });
    }
    return { violations, recordsChecked, formulaRowsChecked };
  }
}

function iso(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms);
}
