import {
  CreateTableCommand,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
} from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAwsClients } from "../../../functions/aws/clients";
import { DynamoStateStore, listIndexMarker } from "../../../functions/aws/dynamo-state-store";
import type { CommitUpdate, FileKey, StreamKey } from "../../../functions/core/ports";
import { ConfigurationError, LeaseConflictError } from "../../../functions/errors";
import { type LocalDynamo, startDynamo } from "../../../local/aws/dynamodb";
import { createStateTable } from "../../../local/aws/local-aws";
import { recordCommands } from "../../support/recorded-commands";

const TABLE = "saddledata-state";
const MINUTE = 60_000;
const T0 = Date.parse("2026-03-01T10:00:00.000Z");

describe("DynamoStateStore", () => {
  let dynamo: LocalDynamo;
  let client: DynamoDBClient;
  let store: DynamoStateStore;
  let streams = 0;

  /** A stream no other test touches. */
  function freshStream(object = "Account"): StreamKey {
    streams += 1;
    return { connection: `conn-${streams}`, object };
  }

  function commitOf(runId: string, cursor: string, commitSeq = 1): CommitUpdate {
    return {
      runId,
      cursor,
      cursorField: "SystemModstamp",
      manifestKey: `data/Account/dt=2026-03-01/run=${runId}/_manifest.json`,
      committedAt: "2026-03-01T10:05:00.000Z",
      commitSeq,
    };
  }

  beforeAll(async () => {
    dynamo = await startDynamo();
    client = createAwsClients({
      region: "us-east-1",
      endpoints: { dynamodb: dynamo.endpoint },
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    }).dynamodb;
    await createStateTable(client, TABLE);
    store = new DynamoStateStore(client, TABLE, { pageSize: 2 });
  });

  afterAll(async () => {
    client.destroy();
    await dynamo.stop();
  });

  describe("leases", () => {
    it("grants a free lease and records the run as running", async () => {
      // Prepare
      const key = freshStream();

      // Act
      const state = await store.acquireLease(key, "r-1", 15 * MINUTE, T0);

      // Assess
      expect(state).toMatchObject({
        ...key,
        leaseHolder: "r-1",
        leaseExpiresAt: T0 + 15 * MINUTE,
        lastRunId: "r-1",
        lastStatus: "running",
      });
      expect(await store.get(key)).toEqual(state);
    });

    it("refuses another holder with a LeaseConflictError naming the holder and the lease's end", async () => {
      // Prepare
      const key = freshStream();
      await store.acquireLease(key, "r-123", 15 * MINUTE, T0);

      // Act
      const second = store.acquireLease(key, "r-456", 15 * MINUTE, T0 + MINUTE);

      // Assess
      await expect(second).rejects.toBeInstanceOf(LeaseConflictError);
      await expect(second).rejects.toThrow(
        "Account is being synced by run r-123 (lease until 2026-03-01T10:15:00.000Z); " +
          "wait for it to finish or for the lease to expire",
      );
      expect((await store.get(key))?.leaseHolder).toBe("r-123");
    });

    it("lets the holder take its own lease again and another run take over an expired one", async () => {
      // Prepare
      const key = freshStream();
      await store.acquireLease(key, "r-1", 15 * MINUTE, T0);

      // Act
      const again = await store.acquireLease(key, "r-1", 15 * MINUTE, T0 + MINUTE);
      const takeover = await store.acquireLease(key, "r-2", 15 * MINUTE, T0 + 17 * MINUTE);

      // Assess
      expect(again.leaseExpiresAt).toBe(T0 + 16 * MINUTE);
      expect(takeover).toMatchObject({ leaseHolder: "r-2", leaseExpiresAt: T0 + 32 * MINUTE });
    });

    it("renews a held lease and refuses to renew one that was lost", async () => {
      // Prepare
      const key = freshStream();
      await store.acquireLease(key, "r-1", 15 * MINUTE, T0);

      // Act
      await store.renewLease(key, "r-1", 15 * MINUTE, T0 + 10 * MINUTE);
      const renewed = await store.get(key);
      await store.acquireLease(key, "r-2", 15 * MINUTE, T0 + 26 * MINUTE);
      const lost = store.renewLease(key, "r-1", 15 * MINUTE, T0 + 27 * MINUTE);

      // Assess
      expect(renewed?.leaseExpiresAt).toBe(T0 + 25 * MINUTE);
      await expect(lost).rejects.toBeInstanceOf(LeaseConflictError);
      await expect(lost).rejects.toThrow(
        "Run r-1 lost the lease on Account: run r-2 holds it (lease until 2026-03-01T10:41:00.000Z)",
      );
      expect((await store.get(key))?.leaseExpiresAt).toBe(T0 + 41 * MINUTE);
    });
  });

  describe("commit and release", () => {
    it("commits the cursor and the run while holding the lease, and frees the lease", async () => {
      // Prepare
      const key = freshStream();
      await store.acquireLease(key, "r-1", 15 * MINUTE, T0);

      // Act
      await store.commit(key, "r-1", commitOf("r-1", "2026-03-01T09:55:00.000Z"));
      const state = await store.get(key);
      const next = await store.acquireLease(key, "r-2", 15 * MINUTE, T0 + MINUTE);

      // Assess
      expect(state).toEqual({
        ...key,
        cursor: "2026-03-01T09:55:00.000Z",
        cursorField: "SystemModstamp",
        lastRunId: "r-1",
        lastStatus: "succeeded",
        lastManifestKey: "data/Account/dt=2026-03-01/run=r-1/_manifest.json",
        lastCommittedAt: "2026-03-01T10:05:00.000Z",
        commitSeq: 1,
      });
      expect(next.leaseHolder).toBe("r-2");
    });

    it("changes nothing when the committing run lost its lease", async () => {
      // Prepare
      const key = freshStream();
      await store.acquireLease(key, "r-1", 15 * MINUTE, T0);
      await store.commit(key, "r-1", commitOf("r-1", "2026-03-01T09:55:00.000Z"));
      await store.acquireLease(key, "r-2", 15 * MINUTE, T0 + MINUTE);
      await store.acquireLease(key, "r-3", 15 * MINUTE, T0 + 20 * MINUTE);
      const before = await store.get(key);

      // Act
      const late = store.commit(key, "r-2", commitOf("r-2", "2026-03-01T10:10:00.000Z"));

      // Assess
      await expect(late).rejects.toBeInstanceOf(LeaseConflictError);
      await expect(late).rejects.toThrow("nothing was committed");
      expect(await store.get(key)).toEqual(before);
      expect(before?.cursor).toBe("2026-03-01T09:55:00.000Z");
    });

    it("removes the cursor when a full refresh commits none", async () => {
      // Prepare
      const key = freshStream();
      await store.acquireLease(key, "r-1", 15 * MINUTE, T0);
      await store.commit(key, "r-1", commitOf("r-1", "2026-03-01T09:55:00.000Z"));
      await store.acquireLease(key, "r-2", 15 * MINUTE, T0 + MINUTE);

      // Act
      await store.commit(key, "r-2", {
        ...commitOf("r-2", "", 2),
        cursor: undefined,
        cursorField: undefined,
      });

      // Assess
      const state = await store.get(key);
      expect(state?.cursor).toBeUndefined();
      expect(state?.cursorField).toBeUndefined();
      expect(state?.lastRunId).toBe("r-2");
    });

    it("releases a failed run's lease keeping the cursor and recording the error", async () => {
      // Prepare
      const key = freshStream();
      await store.acquireLease(key, "r-1", 15 * MINUTE, T0);
      await store.commit(key, "r-1", commitOf("r-1", "2026-03-01T09:55:00.000Z"));
      await store.acquireLease(key, "r-2", 15 * MINUTE, T0 + MINUTE);

      // Act
      await store.release(key, "r-2", { status: "failed", error: "JobFailedError: Bulk job 750 failed" });
      const state = await store.get(key);

      // Assess
      expect(state).toMatchObject({
        cursor: "2026-03-01T09:55:00.000Z",
        lastRunId: "r-2",
        lastStatus: "failed",
        lastError: "JobFailedError: Bulk job 750 failed",
      });
      expect(state?.leaseHolder).toBeUndefined();
      expect(state?.leaseExpiresAt).toBeUndefined();
    });

    it("leaves the state alone when a run releases a lease it does not hold", async () => {
      // Prepare
      const key = freshStream();
      await store.acquireLease(key, "r-2", 15 * MINUTE, T0);
      const before = await store.get(key);

      // Act
      await store.release(key, "r-1", { status: "failed", error: "late" });

      // Assess
      expect(await store.get(key)).toEqual(before);
    });
  });

  describe("commit sequence", () => {
    it("numbers commits one by one and refuses a number that is not the next", async () => {
      // Prepare
      const key = freshStream();
      await store.acquireLease(key, "r-1", 15 * MINUTE, T0);
      await store.commit(key, "r-1", commitOf("r-1", "2026-03-01T09:55:00.000Z", 1));
      await store.acquireLease(key, "r-2", 15 * MINUTE, T0 + MINUTE);
      const before = await store.get(key);

      // Act
      const skipping = store.commit(key, "r-2", commitOf("r-2", "2026-03-01T10:10:00.000Z", 3));
      const repeating = store.commit(key, "r-2", commitOf("r-2", "2026-03-01T10:10:00.000Z", 1));

      // Assess
      await expect(skipping).rejects.toThrow(
        "Account: commit 3 expected the stream's last commit to be 2 but it is 1; nothing was committed",
      );
      await expect(repeating).rejects.toBeInstanceOf(LeaseConflictError);
      expect(await store.get(key)).toEqual(before);
      await store.commit(key, "r-2", commitOf("r-2", "2026-03-01T10:10:00.000Z", 2));
      expect((await store.get(key))?.commitSeq).toBe(2);
    });
  });

  describe("merge watermark", () => {
    async function committed(seq: number): Promise<StreamKey> {
      const key = freshStream();
      for (let n = 1; n <= seq; n++) {
        await store.acquireLease(key, `r-${n}`, 15 * MINUTE, T0);
        await store.commit(key, `r-${n}`, commitOf(`r-${n}`, "2026-03-01T09:55:00.000Z", n));
      }
      return key;
    }

    it("claims a merge from the watermark, then advances it and frees the claim", async () => {
      // Prepare
      const key = await committed(3);

      // Act
      await store.claimMerge(key, "athena", { holder: "m-1", fromSeq: 0, toSeq: 3 }, 15 * MINUTE, T0);
      const claimed = (await store.get(key))?.lake?.athena;
      await store.advanceMerged(
        key,
        "athena",
        { holder: "m-1", fromSeq: 0, toSeq: 3 },
        "2026-03-01T10:06:00.000Z",
      );

      // Assess
      expect(claimed).toMatchObject({ mergeHolder: "m-1", mergeExpiresAt: T0 + 15 * MINUTE, mergeToSeq: 3 });
      expect(claimed?.mergedSeq).toBeUndefined();
      const state = await store.get(key);
      expect(state).toMatchObject({
        commitSeq: 3,
        lake: { athena: { mergedSeq: 3, lastMergedAt: "2026-03-01T10:06:00.000Z" } },
      });
      expect(state?.lake?.athena?.mergeHolder).toBeUndefined();
      expect(state?.lake?.athena?.mergeToSeq).toBeUndefined();
    });

    it("never advances twice: the second advance finds the watermark moved", async () => {
      // Prepare
      const key = await committed(2);
      const claim = { holder: "m-1", fromSeq: 0, toSeq: 2 };
      await store.claimMerge(key, "athena", claim, 15 * MINUTE, T0);
      await store.advanceMerged(key, "athena", claim, "2026-03-01T10:06:00.000Z");

      // Act
      const again = store.advanceMerged(key, "athena", claim, "2026-03-01T10:07:00.000Z");
      const stale = store.claimMerge(key, "athena", { holder: "m-2", fromSeq: 0, toSeq: 2 }, 15 * MINUTE, T0);

      // Assess
      await expect(again).rejects.toThrow(
        "Account: run m-1 could not advance the athena watermark from 0 to 2: it is 2 and the merge lease is free",
      );
      await expect(stale).rejects.toThrow(
        "Account: run m-2 cannot merge into the athena table: the watermark moved from 0 to 2",
      );
      expect((await store.get(key))?.lake?.athena?.mergedSeq).toBe(2);
    });

    it("refuses a second merge while one holds the lease, until it expires", async () => {
      // Prepare
      const key = await committed(1);
      await store.claimMerge(key, "athena", { holder: "m-1", fromSeq: 0, toSeq: 1 }, 15 * MINUTE, T0);

      // Act
      const second = await store
        .claimMerge(key, "athena", { holder: "m-2", fromSeq: 0, toSeq: 1 }, 15 * MINUTE, T0 + MINUTE)
        .catch((error: unknown) => error);
      await store.claimMerge(
        key,
        "athena",
        { holder: "m-1", fromSeq: 0, toSeq: 1 },
        15 * MINUTE,
        T0 + 2 * MINUTE,
      );
      const renewed = await store.get(key);
      await store.claimMerge(
        key,
        "athena",
        { holder: "m-3", fromSeq: 0, toSeq: 1 },
        15 * MINUTE,
        T0 + 18 * MINUTE,
      );

      // Assess
      expect(second).toBeInstanceOf(LeaseConflictError);
      expect((second as Error).message).toBe(
        "Account: run m-2 cannot merge into the athena table: run m-1 is merging it (lease until 2026-03-01T10:15:00.000Z)",
      );
      expect(renewed?.lake?.athena?.mergeExpiresAt).toBe(T0 + 17 * MINUTE);
      expect((await store.get(key))?.lake?.athena?.mergeHolder).toBe("m-3");
    });

    it("releases a failed merge keeping the watermark and recording why", async () => {
      // Prepare
      const key = await committed(2);
      const first = { holder: "m-1", fromSeq: 0, toSeq: 1 };
      await store.claimMerge(key, "athena", first, 15 * MINUTE, T0);
      await store.advanceMerged(key, "athena", first, "2026-03-01T10:06:00.000Z");
      await store.claimMerge(key, "athena", { holder: "m-2", fromSeq: 1, toSeq: 2 }, 15 * MINUTE, T0);

      // Act
      await store.releaseMerge(key, "athena", "m-9", "not mine");
      const untouched = await store.get(key);
      await store.releaseMerge(key, "athena", "m-2", "the query failed");

      // Assess
      expect(untouched?.lake?.athena?.mergeHolder).toBe("m-2");
      const state = await store.get(key);
      expect(state?.lake?.athena).toMatchObject({ mergedSeq: 1, lastMergeError: "the query failed" });
      expect(state?.lake?.athena?.mergeHolder).toBeUndefined();
    });

    it("keeps each engine's watermark and claim apart: Athena's in the attributes deployed stacks hold", async () => {
      // Prepare: a deployed stream as earlier versions wrote it (Athena's watermark 1, a merge claimed).
      const key = await committed(3);
      const pk = { pk: { S: `${key.connection}#${key.object}` } };
      await store.claimMerge(key, "athena", { holder: "m-1", fromSeq: 0, toSeq: 1 }, 15 * MINUTE, T0);
      await store.advanceMerged(key, "athena", { holder: "m-1", fromSeq: 0, toSeq: 1 }, "t1");
      await store.claimMerge(key, "athena", { holder: "m-2", fromSeq: 1, toSeq: 3 }, 15 * MINUTE, T0);

      // Act: a local merge of the same stream, from its own watermark 0, while Athena's claim is held.
      const local = { holder: "local-1", fromSeq: 0, toSeq: 3 };
      await store.claimMerge(key, "duckdb", local, 15 * MINUTE, T0);
      await store.advanceMerged(key, "duckdb", local, "t2");
      await store.releaseMerge(key, "duckdb", "local-1", "nothing held: no change");
      const staleLocal = store.claimMerge(key, "duckdb", { ...local, holder: "local-2" }, 15 * MINUTE, T0);
      const raw = await client.send(new GetItemCommand({ TableName: TABLE, Key: pk, ConsistentRead: true }));

      // Assess
      await expect(staleLocal).rejects.toThrow(
        "Account: run local-2 cannot merge into the duckdb table: the watermark moved from 0 to 3",
      );
      expect((await store.get(key))?.lake).toEqual({
        athena: {
          mergedSeq: 1,
          lastMergedAt: "t1",
          mergeHolder: "m-2",
          mergeExpiresAt: T0 + 15 * MINUTE,
          mergeToSeq: 3,
        },
        duckdb: { mergedSeq: 3, lastMergedAt: "t2" },
      });
      expect(raw.Item).toMatchObject({
        mergedSeq: { N: "1" },
        mergeHolder: { S: "m-2" },
        mergeToSeq: { N: "3" },
        lastMergedAt: { S: "t1" },
        duckdbMergedSeq: { N: "3" },
        duckdbLastMergedAt: { S: "t2" },
      });
      expect(raw.Item?.duckdbMergeHolder).toBeUndefined();
    });
  });

  describe("file claims", () => {
    const file: FileKey = {
      bucket: "inbound",
      key: "inbound/Account/insert/a.csv",
      version: "9b2cf535f27731c9",
    };

    it("gives the first claim to the first run and shows the second run the first one's claim", async () => {
      // Prepare
      const now = new Date(T0);

      // Act
      const first = await store.claimFile(file, "load-1", now);
      const second = await store.claimFile(file, "load-2", new Date(T0 + MINUTE));

      // Assess
      expect(first).toEqual({ claimed: true });
      expect(second).toEqual({
        claimed: false,
        existing: { ...file, runId: "load-1", status: "loading", claimedAt: "2026-03-01T10:00:00.000Z" },
      });
    });

    it("records the outcome for the claiming run only", async () => {
      // Prepare
      const other: FileKey = { ...file, version: "v2" };
      await store.claimFile(other, "load-1", new Date(T0));

      // Act
      const intruder = store.finishFile(other, "load-2", { status: "failed" }, new Date(T0 + MINUTE));
      // Its refusal may come before the assertions below await it: handled, not an unhandled rejection.
      intruder.catch(() => undefined);
      await store.finishFile(
        other,
        "load-1",
        { status: "partial", summaryKey: "results/inbound/Account/insert/a.csv/summary.json" },
        new Date(T0 + 2 * MINUTE),
      );

      // Assess
      await expect(intruder).rejects.toBeInstanceOf(LeaseConflictError);
      await expect(intruder).rejects.toThrow("is claimed by run load-1, not run load-2");
      expect(await store.getFile(other)).toEqual({
        ...other,
        runId: "load-1",
        status: "partial",
        claimedAt: "2026-03-01T10:00:00.000Z",
        finishedAt: "2026-03-01T10:02:00.000Z",
        summaryKey: "results/inbound/Account/insert/a.csv/summary.json",
      });
    });

    it("keys claims by file version, and writes no expiry on them", async () => {
      // Prepare
      const versionA: FileKey = { ...file, key: "inbound/Contact/upsert/Email/b.csv", version: "a" };
      const versionB: FileKey = { ...versionA, version: "b" };

      // Act
      const a = await store.claimFile(versionA, "load-a", new Date(T0));
      const b = await store.claimFile(versionB, "load-b", new Date(T0));
      const raw = await client.send(
        new GetItemCommand({
          TableName: TABLE,
          Key: { pk: { S: "load#inbound/inbound/Contact/upsert/Email/b.csv#b" } },
        }),
      );

      // Assess
      expect([a.claimed, b.claimed]).toEqual([true, true]);
      expect(await store.getFile({ ...versionA, version: "c" })).toBeUndefined();
      expect(raw.Item?.runId?.S).toBe("load-b");
      expect(raw.Item?.expiresAt).toBeUndefined();
    });
  });

  describe("reading", () => {
    it("lists a connection's streams across query pages, and nothing else, without a scan", async () => {
      // Prepare: a connection named "load" shares its key prefix with file claims.
      for (const object of ["Contact", "Account", "Opportunity"]) {
        await store.acquireLease({ connection: "load", object }, "r-1", MINUTE, T0);
      }
      await store.acquireLease({ connection: "loader", object: "Lead" }, "r-1", MINUTE, T0);
      await store.claimFile({ bucket: "lake", key: "x.csv", version: "1" }, "load-1", new Date(T0));
      const sent = recordCommands(client);

      // Act
      const listed = await store.list("load");
      sent.dispose();

      // Assess: two pages of two.
      expect(listed.map((state) => `${state.connection}/${state.object}`)).toEqual([
        "load/Account",
        "load/Contact",
        "load/Opportunity",
      ]);
      expect(listed[0]).toMatchObject({ leaseHolder: "r-1", lastStatus: "running" });
      expect(sent.names).not.toContain("ScanCommand");
      expect(sent.names.filter((name) => name === "QueryCommand")).toHaveLength(2);
    });

    it("lists the claims still loading, and the most recent claims newest first, by Query", async () => {
      // Prepare: a table of its own, so no other test's claims count.
      const table = "claims-listed";
      await createStateTable(client, table);
      const claims = new DynamoStateStore(client, table, { pageSize: 2 });
      const file = (name: string): FileKey => ({
        bucket: "lake",
        key: `inbound/Account/insert/${name}`,
        version: "v1",
      });
      for (const [index, name] of ["a.csv", "b.csv", "c.csv", "d.csv", "e.csv"].entries()) {
        await claims.claimFile(file(name), `load-${name}`, new Date(T0 + index * MINUTE));
      }
      await claims.finishFile(
        file("b.csv"),
        "load-b.csv",
        { status: "succeeded" },
        new Date(T0 + 9 * MINUTE),
      );
      await claims.finishFile(file("e.csv"), "load-e.csv", { status: "failed" }, new Date(T0 + 9 * MINUTE));
      const sent = recordCommands(client);

      // Act
      const loading = await claims.listFiles({ loading: true });
      const recent = await claims.listFiles({ limit: 3 });
      sent.dispose();

      // Assess
      expect(loading.map((claim) => claim.key.split("/").at(-1))).toEqual(["d.csv", "c.csv", "a.csv"]);
      expect(loading[0]).toMatchObject({ runId: "load-d.csv", status: "loading", version: "v1" });
      expect(recent.map((claim) => [claim.key.split("/").at(-1), claim.status])).toEqual([
        ["e.csv", "failed"],
        ["d.csv", "loading"],
        ["c.csv", "loading"],
      ]);
      expect(sent.names).not.toContain("ScanCommand");
    });

    it("gives items written before the index their keys once, then lists them by Query alone", async () => {
      // Prepare: a deployed table that just got the index (CloudFormation adds it in place): items as
      // the store wrote them before (no index keys), and no marker.
      const table = "before-the-index";
      await createStateTable(client, table);
      await client.send(new DeleteItemCommand({ TableName: table, Key: { pk: { S: "#list-index" } } }));
      const old = (item: Record<string, string>) =>
        client.send(
          new PutItemCommand({
            TableName: table,
            Item: Object.fromEntries(Object.entries(item).map(([name, value]) => [name, { S: value }])),
          }),
        );
      await old({
        pk: "prod#Account",
        connection: "prod",
        object: "Account",
        cursor: "2026-01-01T00:00:00.000Z",
      });
      await old({ pk: "prod#Contact", connection: "prod", object: "Contact", lastStatus: "failed" });
      await old({ pk: "test#Lead", connection: "test", object: "Lead" });
      await old({
        pk: "load#lake/inbound/Lead/insert/l.csv#e1",
        bucket: "lake",
        key: "inbound/Lead/insert/l.csv",
        version: "e1",
        runId: "load-1",
        status: "loading",
        claimedAt: "2026-01-02T00:00:00.000Z",
      });
      const sent = recordCommands(client);

      // Act
      const first = await new DynamoStateStore(client, table).list("prod");
      const firstCommands = [...sent.names];
      sent.names.length = 0;
      const again = new DynamoStateStore(client, table);
      const second = await again.list("prod");
      const loading = await again.listFiles({ loading: true });
      sent.dispose();

      // Assess
      expect(first.map((state) => [state.object, state.cursor, state.lastStatus])).toEqual([
        ["Account", "2026-01-01T00:00:00.000Z", undefined],
        ["Contact", undefined, "failed"],
      ]);
      expect(firstCommands).toContain("ScanCommand");
      expect(second).toEqual(first);
      expect(loading.map((claim) => claim.runId)).toEqual(["load-1"]);
      expect(sent.names).not.toContain("ScanCommand");
      const index = await client.send(
        new QueryCommand({
          TableName: table,
          IndexName: "list",
          KeyConditionExpression: "listPk = :pk",
          ExpressionAttributeValues: { ":pk": { S: "stream#test" } },
        }),
      );
      expect(index.Items?.map((item) => item.object?.S)).toEqual(["Lead"]);
    });

    it("answers undefined for a stream never seen, and rejects names that would break the key", async () => {
      // Act
      const unseen = await store.get({ connection: "nobody", object: "Account" });
      const bad = store.get({ connection: "a#b", object: "Account" });

      // Assess
      expect(unseen).toBeUndefined();
      await expect(bad).rejects.toBeInstanceOf(ConfigurationError);
    });

    it("says a table without the list index needs the stack deployed", async () => {
      // Prepare: a table as the stack defined it before the index.
      await client.send(
        new CreateTableCommand({
          TableName: "no-index",
          AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
          KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
          BillingMode: "PAY_PER_REQUEST",
        }),
      );
      await client.send(new PutItemCommand({ TableName: "no-index", Item: listIndexMarker(new Date(T0)) }));

      // Act
      const listed = new DynamoStateStore(client, "no-index").list("prod");

      // Assess
      await expect(listed).rejects.toBeInstanceOf(ConfigurationError);
      await expect(listed).rejects.toThrow("DynamoDB table no-index has no index list");
    });

    it("reports a missing table as a ConfigurationError naming it", async () => {
      // Prepare
      const wrong = new DynamoStateStore(client, "no-such-table");

      // Act
      const read = wrong.get({ connection: "c", object: "Account" });

      // Assess
      await expect(read).rejects.toBeInstanceOf(ConfigurationError);
      await expect(read).rejects.toThrow("DynamoDB table no-such-table does not exist");
    });
  });
});
