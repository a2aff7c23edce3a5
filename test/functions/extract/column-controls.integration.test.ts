import { createHmac } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../../emulator/index";
import { createDemoOrg } from "../../../emulator/org/demo";
import { readCatalogIndex, readStream } from "../../../functions/core/catalog-store";
import { discoverHandler } from "../../../functions/discover/handler";
import { clearSessionCache } from "../../../functions/salesforce/client";
import { readParquet } from "../../../local/demo/landed";
import { type LocalEnvironment, startLocalEnvironment } from "../../../local/environment";
import { openRuntimeLake } from "../../../local/lake/local-lake";
import { driveMerge, driveSync } from "../../support/drive";
import { readManifests } from "../../support/landed";
import { memoryLog } from "../../support/memory-log";

/**
 * Issue 17, column controls: a sync of Contact with `Phone` blocked and `Email` hashed, through real
 * parts (the emulator over HTTP, s3rver and dynalite in a state folder on disk), in both part formats,
 * a Bulk full refresh then a REST incremental run.
 */

const T0 = Date.parse("2026-06-01T12:00:00.000Z");
const HASH_KEY = "0123456789abcdef0123456789abcdef-column-controls-test";
const SETTINGS = {
  lagSeconds: 0,
  lookbackSeconds: 0,
  // Contact's 500 rows go through a Bulk job (several pages); the incremental run's few through REST.
  restMaxRecords: 50,
  bulkPageRecords: 120,
  blockFields: { Contact: ["Phone"] },
  hashFields: { "Cont*": ["Email"] },
};

const hmac = (value: string) => createHmac("sha256", HASH_KEY).update(value, "utf8").digest("hex");

interface Scenario {
  emulator: Emulator;
  env: LocalEnvironment;
  dir: string;
  log: ReturnType<typeof memoryLog>;
}

let scenario: Scenario | undefined;

afterEach(async () => {
  if (!scenario) return;
  await scenario.env.stop();
  await scenario.emulator.stop();
  await rm(scenario.dir, { recursive: true, force: true });
  clearSessionCache();
  scenario = undefined;
});

async function start(
  settings: Record<string, unknown>,
  credentials: Record<string, unknown> = { hashKey: HASH_KEY },
): Promise<Scenario> {
  clearSessionCache();
  const org = createDemoOrg({ seed: 11, now: T0 });
  org.clock.set(T0, { frozen: true });
  const emulator = await startEmulator({ port: 0, org, bulk: { queuedMs: 5, processingMsPer10k: 5 } });
  const dir = await mkdtemp(join(tmpdir(), "saddledata-columns-"));
  const log = memoryLog();
  const env = await startLocalEnvironment({
    directory: dir,
    connection: "columns",
    credentials: { ...emulator.credentials, loginUrl: emulator.url, ...credentials },
    settings,
    log,
  });
  scenario = { emulator, env, dir, log };
  return scenario;
}

/** Every file under `dir`, as the text a reader would find in it: gzip and Parquet opened. */
async function readableFiles(dir: string): Promise<Array<{ path: string; text: string }>> {
  const out: Array<{ path: string; text: string }> = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const bytes = await readFile(path);
    let text = bytes.toString("latin1");
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) text = gunzipSync(bytes).toString("utf8");
    else if (bytes.subarray(0, 4).toString("latin1") === "PAR1" && bytes.length > 8) {
      text = JSON.stringify((await readParquet(bytes)).rows, (_key, value) =>
        typeof value === "bigint" ? String(value) : value,
      );
    }
    out.push({ path, text });
  }
  return out;
}

/** The org's Contacts: Email and Phone by Id. */
function orgContacts(emulator: Emulator): Map<string, { email: string | null; phone: string | null }> {
  const result = emulator.org.query("SELECT Id, Email, Phone FROM Contact", { includeDeleted: false });
  const out = new Map<string, { email: string | null; phone: string | null }>();
  for (const row of result.rows()) {
    out.set(row.id, {
      email: (row.values[1] as string | null) ?? null,
      phone: (row.values[2] as string | null) ?? null,
    });
  }
  return out;
}

async function syncAndMerge(s: Scenario, runId: string, mode: "full_refresh" | "incremental") {
  const runtime = s.env.runtime;
  const summaries = await driveSync(runtime, runId, { objects: ["Contact"], mode });
  const summary = summaries.get("Contact");
  expect(summary?.status, JSON.stringify(summary)).toBe("succeeded");
  const index = await readCatalogIndex(runtime.store, runtime.layout);
  const catalogKey = index?.streams.Contact?.key ?? "";
  await driveMerge(runtime, { runId, object: "Contact", catalogKey });
  return { summary, catalogKey };
}

describe("column controls: blockFields and hashFields", () => {
  it.each(["parquet", "jsonl"] as const)(
    "never asks for, lands or tables a blocked field, and lands a hashed one only as HMAC(key, value) (%s)",
    async (format) => {
      // Prepare
      const s = await start({ ...SETTINGS, format });
      const runtime = s.env.runtime;

      // Act: a Bulk full refresh, then changes (one Email set, one cleared) and a REST incremental run.
      const first = await syncAndMerge(s, "columns-1", "full_refresh");
      const ids = [...orgContacts(s.emulator).keys()].sort();
      s.emulator.org.clock.set(T0 + 60_000, { frozen: true });
      s.emulator.org.update(
        "Contact",
        { Id: ids[0], Email: "changed.address@example.org", Phone: "+44 20 0000 0001" },
        "json",
      );
      s.emulator.org.update("Contact", { Id: ids[1], Email: null }, "json");
      s.emulator.org.clock.set(T0 + 120_000, { frozen: true });
      const second = await syncAndMerge(s, "columns-2", "incremental");
      const org = orgContacts(s.emulator);

      // Assess: the catalog selects no Phone and lists Email as hashed.
      const stream = await readStream(runtime.store, second.catalogKey);
      expect(stream.selectFields).not.toContain("Phone");
      expect(stream.selectFields).toContain("MobilePhone");
      expect(stream.blockedFields).toEqual(["Phone"]);
      expect(stream.hashFields).toEqual(["Email"]);

      // Every request the emulator was sent: no SOQL names Phone, none asks for it any other way.
      const requests = s.emulator.requests.entries;
      const soql = s.emulator.requests.soql();
      expect(soql.filter((text) => /\bFROM Contact\b/i.test(text)).length).toBeGreaterThanOrEqual(2);
      expect(soql.some((text) => /\bEmail\b/.test(text))).toBe(true);
      for (const request of requests) {
        expect(`${request.path} ${request.query} ${request.body ?? ""}`).not.toMatch(/\bPhone\b/);
      }
      // Both paths were taken: a Bulk job (the full refresh) and REST pages (the incremental run).
      expect(requests.some((request) => request.kind === "bulkQueryCreate")).toBe(true);
      expect(first.summary?.records).toBe(500);

      // Every part of both runs: no phone column; email the HMAC of the org's value (null stays null).
      let rows = 0;
      for (const manifest of await readManifests(runtime.store, "", "Contact")) {
        expect(manifest.format).toBe(format);
        for (const part of manifest.parts) {
          const bytes = (await runtime.store.get(part.key)) as Uint8Array;
          const records: Array<Record<string, unknown>> =
            format === "parquet"
              ? (await readParquet(bytes)).rows
              : gunzipSync(bytes)
                  .toString("utf8")
                  .trim()
                  .split("\n")
                  .map((line) => JSON.parse(line) as Record<string, unknown>);
          for (const record of records) {
            // Only the queries' rows: no partial read or delete row is owed in this scenario.
            expect(record._origin ?? null).toBeNull();
            const keys = Object.keys(record).map((key) => key.toLowerCase());
            expect(keys).not.toContain("phone");
            expect(keys).toContain("mobilephone");
            const id = String(format === "jsonl" ? record.Id : record.id);
            const value = format === "jsonl" ? record.Email : record.email;
            const landedAt = manifest.runId === "columns-1" ? "first" : "second";
            // Rows of the first run hold the value before the change; the org holds the one after.
            if (landedAt === "second" || (id !== ids[0] && id !== ids[1])) {
              const expected = org.get(id)?.email ?? null;
              expect(value, `${id} in ${part.key}`).toBe(expected === null ? null : hmac(expected));
            } else expect(value).toMatch(/^[0-9a-f]{64}$/);
            rows += 1;
          }
        }
      }
      expect(rows).toBe(500 + 2);

      // The current-state table: no phone column, the hashes of the org's values.
      const lake = await openRuntimeLake(runtime);
      try {
        const columns = (
          await lake.connection.runAndReadAll(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'contact'",
          )
        )
          .getRowObjects()
          .map((row) => String(row.column_name));
        expect(columns).toContain("email");
        expect(columns).not.toContain("phone");
        const table = (await lake.connection.runAndReadAll("SELECT id, email FROM contact")).getRowObjects();
        expect(table).toHaveLength(org.size);
        for (const row of table) {
          const expected = org.get(String(row.id))?.email ?? null;
          expect(row.email, String(row.id)).toBe(expected === null ? null : hmac(expected));
        }
      } finally {
        lake.close();
      }

      // Nothing in the state folder holds an Email or a Phone in clear, nor the key itself.
      const secrets = new Set<string>(["changed.address@example.org", "+44 20 0000 0001"]);
      for (const { email, phone } of org.values()) {
        if (email) secrets.add(email);
        if (phone) secrets.add(phone);
      }
      expect(secrets.size).toBeGreaterThan(300);
      const files = await readableFiles(s.dir);
      expect(files.some((file) => file.path.includes("part-"))).toBe(true);
      for (const file of files) {
        for (const value of secrets) {
          if (file.text.includes(value)) throw new Error(`${file.path} holds ${value} in clear`);
        }
        // The key is in the connection's secret (the embedded Secrets Manager's file) and nowhere else.
        if (file.path !== join(s.dir, "secrets.json"))
          expect(file.text.includes(HASH_KEY), file.path).toBe(false);
      }
      expect((await readFile(join(s.dir, "secrets.json"), "utf8")).includes(HASH_KEY)).toBe(true);
      // Nor the log.
      const logged = s.log.text();
      for (const value of [...secrets, HASH_KEY]) expect(logged.includes(value), value).toBe(false);
    },
    120_000,
  );

  it.each(["parquet", "jsonl"] as const)(
    "reads a field again, hashed, when it becomes hashed: the table holds no clear value of it (%s)",
    async (format) => {
      // Prepare: Title lands in clear in a first sync.
      const s = await start({ ...SETTINGS, format });
      await syncAndMerge(s, "hash-later-1", "full_refresh");

      // Act: Title joins hashFields; the next incremental run (no record changed) backfills it.
      await s.env.stop();
      s.env = await startLocalEnvironment({
        directory: s.dir,
        connection: "columns",
        settings: { ...SETTINGS, format, hashFields: { Contact: ["Email", "Title"] } },
        log: s.log,
      });
      s.emulator.org.clock.set(T0 + 60_000, { frozen: true });
      const { summary } = await syncAndMerge(s, "hash-later-2", "incremental");

      // Assess: one backfill pass of Title, every row hashed, in parts of the backfill origin.
      const titles = new Map<string, string | null>();
      const result = s.emulator.org.query("SELECT Id, Title FROM Contact", { includeDeleted: false });
      for (const row of result.rows()) titles.set(row.id, (row.values[1] as string | null) ?? null);
      expect(summary?.partial?.[2]).toBe(1);
      expect(summary?.partial?.[3]).toBe(titles.size);
      const manifest = (await readManifests(s.env.runtime.store, "", "Contact")).find(
        (candidate) => candidate.runId === "hash-later-2",
      );
      const rows: Array<Record<string, unknown>> = [];
      for (const part of manifest?.parts ?? []) {
        const bytes = (await s.env.runtime.store.get(part.key)) as Uint8Array;
        const records: Array<Record<string, unknown>> =
          format === "parquet"
            ? (await readParquet(bytes)).rows
            : gunzipSync(bytes)
                .toString("utf8")
                .trim()
                .split("\n")
                .filter((line) => line !== "")
                .map((line) => JSON.parse(line) as Record<string, unknown>);
        rows.push(...records.filter((record) => record._origin === "backfill"));
      }
      expect(rows).toHaveLength(titles.size);
      for (const row of rows) {
        expect(row._origin).toBe("backfill");
        const id = String(format === "jsonl" ? row.Id : row.id);
        const expected = titles.get(id) ?? null;
        expect(format === "jsonl" ? row.Title : row.title).toBe(expected === null ? null : hmac(expected));
      }
      const lake = await openRuntimeLake(s.env.runtime);
      try {
        const table = (await lake.connection.runAndReadAll("SELECT id, title FROM contact")).getRowObjects();
        expect(table).toHaveLength(titles.size);
        for (const row of table) {
          const expected = titles.get(String(row.id)) ?? null;
          expect(row.title, String(row.id)).toBe(expected === null ? null : hmac(expected));
        }
      } finally {
        lake.close();
      }
    },
    120_000,
  );

  it("refuses to run with hashFields and no hashKey in the secret, saying how to add it", async () => {
    const s = await start(SETTINGS, {});
    const run = discoverHandler.invoke({ runId: "no-key", request: { objects: ["Contact"] } }, s.env.runtime);
    await expect(run).rejects.toThrow(/hashKey.*openssl rand -hex 32/);
    await expect(run).rejects.toMatchObject({ name: "ConfigurationError" });
  });

  it("names the object and field of a field name no Contact field has", async () => {
    const s = await start({ ...SETTINGS, blockFields: { Contact: ["Phone", "Fax_Number__c", "Zz*"] } });
    const run = discoverHandler.invoke({ runId: "typo", request: { objects: ["Contact"] } }, s.env.runtime);
    await expect(run).rejects.toThrow(/blockFields: Contact has no field Fax_Number__c/);
    await expect(run).rejects.toMatchObject({ name: "ConfigurationError" });
  });

  it("names an object name of either setting that the org does not have", async () => {
    const s = await start({ ...SETTINGS, hashFields: { Contcat: ["Email"] } });
    const run = discoverHandler.invoke(
      { runId: "object-typo", request: { objects: ["Contact"] } },
      s.env.runtime,
    );
    await expect(run).rejects.toThrow(/hashFields: the org has no object Contcat/);
    await expect(run).rejects.toMatchObject({ name: "ConfigurationError" });
  });

  it("refuses to block the cursor field, even through a glob", async () => {
    const s = await start({ ...SETTINGS, blockFields: { Contact: ["*Modstamp"] } });
    await expect(
      discoverHandler.invoke({ runId: "cursor", request: { objects: ["Contact"] } }, s.env.runtime),
    ).rejects.toThrow(/Contact\.SystemModstamp cannot be blocked/);
  });
});
