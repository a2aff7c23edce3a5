import { afterEach, describe, expect, it } from "vitest";
import { createDemoOrg } from "../../../emulator/org/demo";
import type { Org, Value } from "../../../emulator/org/types";
import type { CatalogStream } from "../../../functions/core/catalog";
import { readCatalogIndex, readStream } from "../../../functions/core/catalog-store";
import type { ExtractState, ExtractSummary } from "../../../functions/core/extract/extract-state";
import {
  ConfigurationError,
  LeaseConflictError,
  RateLimitError,
  TransientError,
} from "../../../functions/errors";
import { extractHandler } from "../../../functions/extract/handler";
import { driveDiscover, driveExtract, driveSync } from "../../support/drive";
import { type Harness, type HarnessOptions, startHarness } from "../../support/harness";
import { readManifestRecords, readManifests } from "../../support/landed";

const T0 = Date.parse("2026-06-01T12:00:00.000Z");
const MINUTE = 60_000;

let harness: Harness | undefined;

afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

/** A demo org whose clock stands still at T0, so every test controls time. */
async function start(options: HarnessOptions = {}): Promise<Harness> {
  const org = createDemoOrg({ seed: 7, now: T0 });
  org.clock.set(T0, { frozen: true });
  harness = await startHarness({ ...options, emulator: { org, ...options.emulator } });
  return harness;
}

/** The org's rows as the connector should land them: selected fields, datetimes as ISO strings. */
function orgRecords(
  org: Org,
  stream: CatalogStream,
  includeDeleted: boolean,
): Map<string, Record<string, unknown>> {
  const types = new Map(stream.fields.map((field) => [field.name, field.sfType]));
  const result = org.query(`SELECT ${stream.selectFields.join(", ")} FROM ${stream.object}`, {
    includeDeleted,
  });
  const out = new Map<string, Record<string, unknown>>();
  for (const row of result.rows()) {
    const record: Record<string, unknown> = {};
    result.columns.forEach((column, index) => {
      const value = row.values[index] as Value;
      record[column.name] =
        value !== null && types.get(column.name) === "datetime"
          ? new Date(value as number).toISOString()
          : value;
    });
    out.set(row.id, record);
  }
  return out;
}

async function landed(h: Harness, object: string): Promise<Array<Array<Record<string, unknown>>>> {
  const manifests = await readManifests(h.runtime.store, "", object);
  return Promise.all(manifests.map((manifest) => readManifestRecords(h.runtime.store, manifest)));
}

async function streamOf(h: Harness, object: string): Promise<CatalogStream> {
  const index = await readCatalogIndex(h.runtime.store, h.runtime.layout);
  const entry = index?.streams[object];
  if (!entry) throw new Error(`${object} is not in the catalog`);
  return readStream(h.runtime.store, entry.key);
}

describe("sync: full refresh", () => {
  it("lands every record of several objects exactly once, typed, through Bulk and REST", async () => {
    // Prepare
    const h = await start();
    const objects = ["Account", "Contact", "Invoice__c", "Attachment", "AccountHistory"];

    // Act
    const results = await driveSync(h.runtime, "full-1", { objects, mode: "full_refresh" });

    // Assess
    expect([...results.keys()].sort()).toEqual([...objects].sort());
    for (const object of objects) {
      const stream = await streamOf(h, object);
      const expected = orgRecords(h.emulator.org, stream, false);
      const runs = await landed(h, object);
      expect(runs).toHaveLength(1);
      const records = runs[0] ?? [];
      const ids = records.map((record) => record.Id as string);
      expect(new Set(ids).size, `${object}: no record twice`).toBe(ids.length);
      expect(ids.length, `${object}: every record`).toBe(expected.size);
      for (const record of records) {
        const want = { ...expected.get(record.Id as string) };
        // REST returns a base64 field as the URL of its blob, which is what lands (one call per blob
        // to inline the content would spend the org's API allowance record by record).
        if (object === "Attachment") want.Body = `/services/data/v62.0/sobjects/Attachment/${record.Id}/Body`;
        expect(record, `${object} ${record.Id}`).toEqual(want);
      }
      expect(results.get(object)?.records).toBe(expected.size);
    }
    expect((await streamOf(h, "Attachment")).api).toBe("rest");
    expect((await streamOf(h, "AccountHistory")).cursorField).toBe("CreatedDate");
  });
});

function byIdOf(records: Array<Record<string, unknown>>) {
  return new Map(records.map((record) => [record.Id as string, record]));
}

describe("sync: incremental", () => {
  it("lands exactly the inserts, updates and deletes since the last run, deletes flagged", async () => {
    // Prepare: a first run takes everything up to T0.
    const h = await start();
    const org = h.emulator.org;
    await driveSync(h.runtime, "inc-1", { objects: ["Account"] });
    org.clock.set(T0 + 10 * MINUTE, { frozen: true });
    const inserted = [1, 2, 3].map(
      (n) => org.insert("Account", { Name: `New account ${n}` }, "json").id as string,
    );
    const existing = [
      ...org.query("SELECT Id FROM Account ORDER BY Name LIMIT 3", { includeDeleted: false }).rows(),
    ].map((row) => row.id);
    const [updatedA, updatedB, deleted] = existing as [string, string, string];
    org.update("Account", { Id: updatedA, Phone: "+1 555 0100" }, "json");
    org.update(
      "Account",
      { Id: updatedB, Description: 'Quoted "text", with a comma\nand a newline' },
      "json",
    );
    org.delete("Account", deleted);
    org.clock.set(T0 + 20 * MINUTE, { frozen: true });

    // Act
    const second = await driveSync(h.runtime, "inc-2", { objects: ["Account"] });

    // Assess
    const runs = await landed(h, "Account");
    expect(runs).toHaveLength(2);
    // The query's rows, and the delete log's (the soft delete is logged too: the merge applies it once).
    const changed = (runs[1] ?? []).filter((record) => record._origin === undefined);
    const logged = (runs[1] ?? []).filter((record) => record._origin !== undefined);
    expect(changed.map((record) => record.Id).sort()).toEqual(
      [...inserted, updatedA, updatedB, deleted].sort(),
    );
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ Id: deleted, IsDeleted: true, Name: null, _origin: "getDeleted" });
    expect(logged[0]?.SystemModstamp).toBe(byIdOf(changed).get(deleted)?.SystemModstamp);
    expect(second.get("Account")?.deletes).toBe(1);
    const byId = byIdOf(changed);
    expect(byId.get(deleted)?.IsDeleted).toBe(true);
    expect(byId.get(updatedA)?.Phone).toBe("+1 555 0100");
    expect(byId.get(updatedB)?.Description).toBe('Quoted "text", with a comma\nand a newline');
    expect(second.get("Account")?.cursor).toBe(new Date(T0 + 20 * MINUTE).toISOString());
    const state = await h.runtime.state.get({ connection: "test", object: "Account" });
    expect(state?.cursor).toBe(new Date(T0 + 20 * MINUTE).toISOString());
  });

  it("re-reads the lookback overlap and nothing older", async () => {
    // Prepare
    const h = await start({ settings: { lookbackSeconds: 600 } });
    const org = h.emulator.org;
    const ids = [...org.query("SELECT Id FROM Contact LIMIT 2", { includeDeleted: false }).rows()].map(
      (row) => row.id,
    );
    org.touch("Contact", [ids[0] as string], { at: T0 - 5 * MINUTE });
    org.touch("Contact", [ids[1] as string], { at: T0 - 20 * MINUTE });
    await driveSync(h.runtime, "overlap-1", { objects: ["Contact"] });
    org.clock.set(T0 + 30 * MINUTE, { frozen: true });

    // Act
    await driveSync(h.runtime, "overlap-2", { objects: ["Contact"] });

    // Assess: the row 5 minutes before the cursor is inside the 10-minute overlap; the other is not.
    const runs = await landed(h, "Contact");
    expect((runs[1] ?? []).map((record) => record.Id)).toEqual([ids[0]]);
  });

  it("lands 5,000 records that share one SystemModstamp across page boundaries", async () => {
    // Prepare: the rows are stamped exactly at the first run's window end, the classic trap.
    const h = await start({ settings: { bulkPageRecords: 700, restMaxRecords: 0 } });
    const org = h.emulator.org;
    const tied: string[] = [];
    for (let n = 0; n < 5000; n++) {
      const result = org.insert("Invoice__c", { ERP_Id__c: `T-${n}` }, "json");
      expect(result.errors).toEqual([]);
      tied.push(result.id as string);
    }
    await driveSync(h.runtime, "tie-1", { objects: ["Invoice__c"] });
    org.clock.set(T0 + MINUTE, { frozen: true });

    // Act
    await driveSync(h.runtime, "tie-2", { objects: ["Invoice__c"] });

    // Assess
    const all = (await landed(h, "Invoice__c")).flat().map((record) => record.Id as string);
    const landedTied = all.filter((id) => tied.includes(id));
    expect(new Set(landedTied).size).toBe(5000);
    expect(landedTied).toHaveLength(5000);
    const manifests = await readManifests(h.runtime.store, "", "Invoice__c");
    expect(manifests[1]?.parts.length).toBeGreaterThan(5);
  });

  it("picks up a record committed late with a timestamp inside the lookback", async () => {
    // Prepare
    const h = await start({ settings: { lookbackSeconds: 120, lagSeconds: 60 } });
    const org = h.emulator.org;
    await driveSync(h.runtime, "late-1", { objects: ["Lead"] });
    const cursor = (await h.runtime.state.get({ connection: "test", object: "Lead" }))?.cursor as string;
    expect(cursor).toBe(new Date(T0 - MINUTE).toISOString());
    org.clock.set(T0 + 5 * MINUTE, { frozen: true });
    const late = org.insert("Lead", { LastName: "Late", Company: "Slow Tx Ltd" }, "json").id as string;
    // Its transaction started before the cursor: the stamp is earlier than the moment it became visible.
    org.touch("Lead", [late], { at: Date.parse(cursor) - 30_000 });

    // Act
    await driveSync(h.runtime, "late-2", { objects: ["Lead"] });

    // Assess
    const runs = await landed(h, "Lead");
    expect((runs[1] ?? []).map((record) => record.Id)).toContain(late);
  });
  it("reconciles Ids when the gap since the last sync outlives the recycle bin", async () => {
    // Prepare
    const h = await start();
    await driveSync(h.runtime, "gap-1", { objects: ["Case"] });
    h.emulator.org.clock.set(T0 + 20 * 86_400_000, { frozen: true });

    // Act
    await driveSync(h.runtime, "gap-2", { objects: ["Case"] });

    // Assess: the run takes the org's Id snapshot and compares it (the lake, never merged here, is
    // caught up first), with nothing to warn about.
    const [first, second] = await readManifests(h.runtime.store, "", "Case");
    expect(first?.warnings).toBeUndefined();
    expect(first?.reconcile).toBeUndefined();
    expect(second?.reconcile).toMatchObject({ reason: "gap", ids: h.emulator.org.count("Case"), deletes: 0 });
    expect(second?.warnings).toBeUndefined();
  });
});

describe("sync: API thrift", () => {
  it("reads a small window through one REST page and a big one through a Bulk job", async () => {
    // Prepare
    const h = await start({ settings: { restMaxRecords: 250 } });
    const calls = (): Record<string, number> => ({ ...h.emulator.calls.byKind() });

    // Act
    const before = calls();
    const results = await driveSync(h.runtime, "thrift-1", {
      objects: ["Case", "Contact"],
      mode: "full_refresh",
    });
    const after = calls();

    // Assess: Case (100 rows) took one REST page; Contact (500 rows) a Bulk job.
    const manifests = new Map(
      [
        ...(await readManifests(h.runtime.store, "", "Case")),
        ...(await readManifests(h.runtime.store, "", "Contact")),
      ].map((manifest) => [manifest.object, manifest]),
    );
    expect(manifests.get("Case")?.api).toBe("rest");
    expect(manifests.get("Case")?.apiReason).toMatch(/100 rows/);
    expect(manifests.get("Contact")?.api).toBe("bulk");
    expect(results.get("Case")?.apiCalls).toBeLessThanOrEqual(2);
    const delta = (kind: string) => (after[kind] ?? 0) - (before[kind] ?? 0);
    expect(delta("bulkQueryCreate")).toBe(1);
    expect(delta("query")).toBe(2);
  });
});

describe("sync: Bulk job failures", () => {
  it("starts a new Bulk job when Salesforce fails one, and lands everything", async () => {
    // Prepare
    const h = await start({ settings: { restMaxRecords: 0 } });
    h.emulator.faults.add({
      kind: "bulkQueryCreate",
      action: { type: "failJob", errorMessage: "InternalServerError" },
    });

    // Act
    const results = await driveSync(h.runtime, "failjob-1", { objects: ["Lead"], mode: "full_refresh" });

    // Assess
    const [manifest] = await readManifests(h.runtime.store, "", "Lead");
    expect(manifest?.salesforceJobIds).toHaveLength(2);
    expect(results.get("Lead")?.records).toBe(h.emulator.org.count("Lead"));
  });

  it("gives up after three failed jobs with JobFailedError, leaving the cursor where it was", async () => {
    const h = await start({ settings: { restMaxRecords: 0 } });
    h.emulator.faults.add({
      kind: "bulkQueryCreate",
      times: 3,
      action: { type: "failJob", errorMessage: "InternalServerError" },
    });
    const attempt = driveSync(h.runtime, "failjob-2", { objects: ["Lead"] });
    await expect(attempt).rejects.toMatchObject({ name: "JobFailedError" });
    const state = await h.runtime.state.get({ connection: "test", object: "Lead" });
    expect(state?.cursor).toBeUndefined();
    expect(state?.lastStatus).toBe("failed");
  });

  it("counts each object's own API calls when objects are extracted side by side", async () => {
    // Prepare
    const h = await start({ settings: { restMaxRecords: 0 } });
    const discovered = await driveDiscover(h.runtime, "side-1", { objects: ["Lead", "Case", "Contact"] });
    const before = h.emulator.calls.total;

    // Act
    const summaries = await Promise.all(discovered.tasks.map((task) => driveExtract(h.runtime, task)));

    // Assess
    const counted = summaries.reduce((sum, summary) => sum + summary.apiCalls, 0);
    expect(counted).toBe(h.emulator.calls.total - before);
  });
});

describe("sync: continuation and crashes", () => {
  it("produces the same data across many short invocations as in one long one", async () => {
    // Prepare
    const h = await start({ settings: { bulkPageRecords: 40, restMaxRecords: 0 } });

    // Act
    const long = await driveSync(h.runtime, "long-1", { objects: ["Contact"], mode: "full_refresh" });
    let fetches = 0;
    const short = await driveSync(
      h.runtime,
      "short-1",
      { objects: ["Contact"], mode: "full_refresh" },
      {
        remainingMs: () => 0,
        beforeAction: (action) => {
          if (action === "fetch") fetches++;
        },
      },
    );

    // Assess
    const [first, second] = await landed(h, "Contact");
    expect(fetches).toBeGreaterThanOrEqual(Math.ceil(500 / 40));
    expect(short.get("Contact")?.parts).toBe(long.get("Contact")?.parts);
    const sortById = (records: Array<Record<string, unknown>>) =>
      [...records].sort((a, b) => String(a.Id).localeCompare(String(b.Id)));
    expect(sortById(second ?? [])).toEqual(sortById(first ?? []));
  });

  it("a retried step overwrites its own part, and a crash between parts loses nothing", async () => {
    // Prepare
    const h = await start({ settings: { bulkPageRecords: 100, restMaxRecords: 0 } });
    const discovered = await driveDiscover(h.runtime, "crash-1", {
      objects: ["Contact"],
      mode: "incremental",
    });
    const task = discovered.tasks[0];
    if (!task) throw new Error("no task");

    // Act 1: crash on the third fetch (the state machine's Catch aborts the object).
    let fetches = 0;
    await expect(
      driveExtract(h.runtime, task, {
        remainingMs: () => 0,
        beforeAction: (action) => {
          if (action === "fetch" && ++fetches === 3) throw new Error("Lambda crashed");
        },
      }),
    ).rejects.toThrow("Lambda crashed");
    const afterCrash = await h.runtime.state.get({ connection: "test", object: "Contact" });

    // Act 2: the next run; one of its fetches is delivered twice (a retry after a lost response).
    const rerun = await driveDiscover(h.runtime, "crash-2", { objects: ["Contact"], mode: "incremental" });
    const retask = rerun.tasks[0];
    if (!retask) throw new Error("no task");
    let state = (await extractHandler.invoke({ action: "start", task: retask }, h.runtime)) as ExtractState;
    while (state.status === "polling")
      state = (await extractHandler.invoke({ action: "poll", state }, h.runtime)) as ExtractState;
    await extractHandler.invoke({ action: "fetch", state }, h.runtime, () => 0);
    while (state.status !== "ready") {
      state = (await extractHandler.invoke({ action: "fetch", state }, h.runtime, () => 0)) as ExtractState;
    }
    const summary = (await extractHandler.invoke({ action: "commit", state }, h.runtime)) as ExtractSummary;

    // Assess
    expect(afterCrash?.cursor).toBeUndefined();
    expect(afterCrash?.leaseHolder).toBeUndefined();
    expect(afterCrash?.lastStatus).toBe("failed");
    const expected = orgRecords(h.emulator.org, await streamOf(h, "Contact"), true);
    const manifests = await readManifests(h.runtime.store, "", "Contact");
    expect(manifests).toHaveLength(1);
    const records = await readManifestRecords(h.runtime.store, manifests[0] as (typeof manifests)[number]);
    expect(records).toHaveLength(expected.size);
    expect(new Set(records.map((record) => record.Id)).size).toBe(expected.size);
    expect(summary.records).toBe(expected.size);
  });
});

describe("sync: a part whose upload fails", () => {
  it("fails the fetch with the upload's error, and the fetch's retry lands the page once", async () => {
    // Prepare: the first part upload reads a little of its body, then S3 drops it.
    const h = await start({ settings: { bulkPageRecords: 100, restMaxRecords: 0 } });
    const discovered = await driveDiscover(h.runtime, "upload-1", {
      objects: ["Contact"],
      mode: "full_refresh",
    });
    const task = discovered.tasks[0];
    if (!task) throw new Error("no task");
    const store = h.runtime.store;
    const failing = Object.create(store) as typeof store;
    let dropped = 0;
    failing.upload = async (key, body, options) => {
      if (/\/part-[^/]+\.(parquet|jsonl\.gz)$/.test(key) && dropped === 0) {
        dropped += 1;
        for await (const _chunk of body) break;
        throw new TransientError("simulated: S3 dropped the part upload");
      }
      return store.upload(key, body, options);
    };
    const runtime = { ...h.runtime, store: failing };

    // Act: as the state machine does, the failed fetch is retried with the same input.
    let state = (await extractHandler.invoke({ action: "start", task }, runtime)) as ExtractState;
    while (state.status === "polling") {
      state = (await extractHandler.invoke({ action: "poll", state }, runtime)) as ExtractState;
    }
    const failure = await extractHandler
      .invoke({ action: "fetch", state }, runtime, () => 0)
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    while (state.status !== "ready") {
      state = (await extractHandler.invoke({ action: "fetch", state }, runtime, () => 0)) as ExtractState;
    }
    const summary = (await extractHandler.invoke({ action: "commit", state }, runtime)) as ExtractSummary;

    // Assess
    expect(failure).toBeInstanceOf(TransientError);
    expect((failure as Error).message).toContain("S3 dropped the part upload");
    const expected = orgRecords(h.emulator.org, await streamOf(h, "Contact"), false);
    const records = (await landed(h, "Contact")).flat();
    expect(summary).toMatchObject({ status: "succeeded", records: expected.size });
    expect(records).toHaveLength(expected.size);
    expect(new Set(records.map((record) => record.Id)).size).toBe(expected.size);
  });
});

describe("sync: schema evolution", () => {
  it("picks up a custom field added in the org on the next discover and extract", async () => {
    // Prepare
    const h = await start();
    await driveSync(h.runtime, "schema-1", { objects: ["Account"] });
    h.emulator.org.addField("Account", { name: "Region__c", type: "string", length: 40 });
    const [row] = [
      ...h.emulator.org.query("SELECT Id FROM Account LIMIT 1", { includeDeleted: false }).rows(),
    ];
    h.emulator.org.clock.set(T0 + MINUTE, { frozen: true });
    h.emulator.org.update("Account", { Id: row?.id, Region__c: "EMEA" }, "json");
    h.emulator.org.clock.set(T0 + 2 * MINUTE, { frozen: true });

    // Act
    const discovered = await driveDiscover(h.runtime, "schema-2", { objects: ["Account"] });
    await driveExtract(h.runtime, discovered.tasks[0] as (typeof discovered.tasks)[number]);

    // Assess
    expect(discovered.changes.streamsChanged).toContain("Account");
    expect((await streamOf(h, "Account")).selectFields).toContain("Region__c");
    const runs = await landed(h, "Account");
    const [queried, backfilled] = [
      runs[1]?.filter((record) => record._origin === undefined),
      runs[1]?.filter((record) => record._origin === "backfill"),
    ];
    expect(queried).toEqual([expect.objectContaining({ Id: row?.id, Region__c: "EMEA" })]);
    // The field is backfilled for every live account (partial rows: the Id and the new field only).
    expect(backfilled).toHaveLength(h.emulator.org.count("Account"));
    // Dated by the read (the org's clock, in the cursor column).
    expect(backfilled?.find((record) => record.Id === row?.id)).toEqual({
      Id: row?.id,
      Region__c: "EMEA",
      SystemModstamp: new Date(T0 + 2 * MINUTE).toISOString(),
      _origin: "backfill",
    });
  });

  it("does not fail when a field disappears between discover and extract", async () => {
    // Prepare
    const h = await start();
    const discovered = await driveDiscover(h.runtime, "gone-1", {
      objects: ["Account"],
      mode: "full_refresh",
    });
    h.emulator.org.removeField("Account", "Tier__c");

    // Act
    const summary = await driveExtract(h.runtime, discovered.tasks[0] as (typeof discovered.tasks)[number]);

    // Assess
    expect(summary.status).toBe("succeeded");
    const [records] = await landed(h, "Account");
    expect(records?.[0]).not.toHaveProperty("Tier__c");
    expect((await streamOf(h, "Account")).selectFields).not.toContain("Tier__c");
  });
});

describe("sync: refusals", () => {
  it("lets one of two concurrent runs of an object proceed and fails the other with a lease error", async () => {
    // Prepare
    const h = await start();
    const discovered = await driveDiscover(h.runtime, "lease-a", { objects: ["Case"] });
    const task = discovered.tasks[0] as (typeof discovered.tasks)[number];

    // Act
    const first = (await extractHandler.invoke({ action: "start", task }, h.runtime)) as ExtractState;
    const second = extractHandler.invoke({ action: "start", task: { ...task, runId: "lease-b" } }, h.runtime);

    // Assess
    await expect(second).rejects.toBeInstanceOf(LeaseConflictError);
    await expect(second).rejects.toThrow(/being synced by run lease-a/);
    expect(first.runId).toBe("lease-a");
    const state = await h.runtime.state.get({ connection: "test", object: "Case" });
    expect(state?.leaseHolder).toBe("lease-a");
  });

  it("wrong credentials give a clear configuration error and move no cursor", async () => {
    const h = await start({
      credentials: (emulator) => ({
        ...emulator.credentials,
        password: "wrong-password",
        loginUrl: emulator.url,
      }),
    });
    const attempt = driveSync(h.runtime, "creds-1", { objects: ["Account"] });
    await expect(attempt).rejects.toBeInstanceOf(ConfigurationError);
    await expect(attempt).rejects.toThrow(/check username, password and securityToken/);
    await expect(attempt).rejects.not.toThrow(/wrong-password/);
    expect(await h.runtime.state.get({ connection: "test", object: "Account" })).toBeUndefined();
  });

  it("an unknown object is named in a configuration error", async () => {
    const h = await start();
    await expect(driveSync(h.runtime, "unknown-1", { objects: ["Acount"] })).rejects.toThrow(
      /Unknown object Acount: not in the catalog/,
    );
  });

  it("plans a sync wider than 1,000 objects: the plan goes to S3, discover's answer stays small", async () => {
    // Prepare: more custom objects than one execution used to take (the selection is every object).
    const h = await start();
    const wide = 1_001;
    for (let index = 0; index < wide; index++) {
      h.emulator.org.addObject({ name: `Wide_${String(index).padStart(4, "0")}__c` });
    }

    // Act
    const discovered = await driveDiscover(h.runtime, "wide-1");
    const narrowed = await driveDiscover(h.runtime, "wide-2", { objects: ["Wide_00*"] });

    // Assess: nothing refused, nothing extracted; the execution's state holds the plan's key, not the plan.
    expect(discovered.objectCount).toBeGreaterThan(wide);
    expect(discovered.tasks).toHaveLength(discovered.objectCount);
    expect(discovered.objectsKey).toBe(h.runtime.layout.runObjects("wide-1"));
    const { tasks: _tasks, ...answer } = discovered;
    expect(Buffer.byteLength(JSON.stringify(answer))).toBeLessThan(16 * 1024);
    expect(h.emulator.calls.count("bulkQueryCreate")).toBe(0);
    expect(narrowed.tasks.map((task) => task.object)).toHaveLength(100);
    expect(narrowed.tasks[0]).toMatchObject({ runId: "wide-2", object: "Wide_0000__c" });
  }, 60_000);

  it("an exhausted API limit refuses to start and leaves the cursor where it was", async () => {
    // Prepare
    const h = await start({ settings: { reserve: { dailyApiRequests: 500 } } });
    await driveSync(h.runtime, "limit-1", { objects: ["Account"] });
    const before = await h.runtime.state.get({ connection: "test", object: "Account" });
    h.emulator.limits.set("DailyApiRequests", 100);
    h.emulator.org.clock.set(T0 + MINUTE, { frozen: true });

    // Act
    const attempt = driveSync(h.runtime, "limit-2", { objects: ["Account"] });

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(RateLimitError);
    await expect(attempt).rejects.toThrow(/below the reserve of 500/);
    const after = await h.runtime.state.get({ connection: "test", object: "Account" });
    expect(after?.cursor).toBe(before?.cursor);
    expect(after?.leaseHolder).toBeUndefined();
  });
});
