import { describe, expect, it } from "vitest";
import { lakeColumns, lakeType } from "../../../../functions/core/lake/lake-names";
import { buildMergeSql, MAX_RUNS_PER_MERGE } from "../../../../functions/core/lake/merge-sql";
import { openDuckDb } from "../../../../local/lake/duckdb-engine";
import { demoStream, smallStream } from "../../../support/lake-streams";

const RUNS = [
  { runId: "sync-20260301T100000Z-a1b2c3", seq: 7 },
  { runId: "sync-20260302T100000Z-d4e5f6", seq: 8 },
];

describe("lake names", () => {
  it("types each Salesforce type for both engines", () => {
    // Act
    const types = ["id", "boolean", "int", "long", "date", "datetime", "time", "picklist", "double"].map(
      (sfType) => lakeType({ sfType }),
    );

    // Assess
    expect(types).toEqual([
      "string",
      "boolean",
      "int",
      "bigint",
      "date",
      "timestamp",
      "string",
      "string",
      "double",
    ]);
    expect(lakeType({ sfType: "currency", precision: 18, scale: 2 })).toBe("decimal(18,2)");
    expect(lakeType({ sfType: "double", precision: 40, scale: 3 })).toBe("decimal(38,3)");
  });

  it("lower-cases the stream's select fields, in order", () => {
    // Act
    const columns = lakeColumns(smallStream());

    // Assess
    expect(columns.map((column) => column.name)).toEqual([
      "id",
      "isdeleted",
      "name",
      "amount__c",
      "employees__c",
      "since__c",
      "systemmodstamp",
    ]);
    expect(columns[3]).toEqual({
      name: "amount__c",
      athenaType: "decimal(18,2)",
      field: "Amount__c",
      sfType: "currency",
      type: { kind: "decimal", precision: 18, scale: 2 },
      calculated: false,
    });
  });
});

describe("the merge SQL", () => {
  it("is this text for the demo Account stream (golden)", async () => {
    // Act
    const sql = buildMergeSql(demoStream("Account"), RUNS);

    // Assess
    await expect(`${sql}\n`).toMatchFileSnapshot("./golden/account-merge.sql");
  });

  it("merges into DuckDB: latest version per Id by commit then cursor, deletes (flagged or logged), inserts", async () => {
    // Prepare
    const stream = smallStream();
    const db = await openDuckDb();
    const run = (sql: string) => db.connection.run(sql);
    try {
      await run(
        `CREATE TABLE thing__c (id string, isdeleted boolean, name string, amount__c decimal(18,2), employees__c bigint, since__c date, systemmodstamp timestamp)`,
      );
      await run(`INSERT INTO thing__c VALUES
        ('A', false, 'kept as is', 1.00, 1, DATE '2020-01-01', TIMESTAMP '2026-01-01 00:00:00'),
        ('B', false, 'to update', 2.00, 2, NULL, TIMESTAMP '2026-01-01 00:00:00'),
        ('C', false, 'to delete', 3.00, 3, NULL, TIMESTAMP '2026-01-01 00:00:00')`);
      await run(`CREATE TABLE thing__c_changes AS SELECT * FROM (VALUES
        ('B', false, 'B older in run 8', 20.00, 20, NULL, TIMESTAMP '2026-03-02 09:00:00', 'sync-20260302T100000Z-d4e5f6'),
        ('B', false, 'B latest', 21.50, 21, DATE '2026-03-02', TIMESTAMP '2026-03-02 09:30:00', 'sync-20260302T100000Z-d4e5f6'),
        ('B', false, 'B newer stamp but earlier run', 22.00, 22, NULL, TIMESTAMP '2026-03-03 00:00:00', 'sync-20260301T100000Z-a1b2c3'),
        ('C', true, 'C deleted', 3.00, 3, NULL, TIMESTAMP '2026-03-02 09:00:00', 'sync-20260302T100000Z-d4e5f6'),
        ('D', false, 'D new', 4.00, 4, NULL, TIMESTAMP '2026-03-01 09:00:00', 'sync-20260301T100000Z-a1b2c3'),
        ('E', true, 'E created and deleted', 5.00, 5, NULL, TIMESTAMP '2026-03-01 09:00:00', 'sync-20260301T100000Z-a1b2c3'),
        ('F', false, 'F from a run not merged', 6.00, 6, NULL, TIMESTAMP '2026-03-01 09:00:00', 'sync-other')
      ) AS v(id, isdeleted, name, amount__c, employees__c, since__c, systemmodstamp, run)`);
      // A hard delete the org's delete log reported: Id, IsDeleted and the deleted date, nothing else.
      await run(`ALTER TABLE thing__c_changes ADD COLUMN _origin string`);
      // And an older one, reported again by an overlapping window: D was undeleted since (D's version
      // in the table is newer), so it stays.
      await run(`INSERT INTO thing__c_changes (id, isdeleted, systemmodstamp, run, _origin) VALUES
        ('A', true, TIMESTAMP '2026-03-02 08:00:00', 'sync-20260302T100000Z-d4e5f6', 'getDeleted'),
        ('G', true, TIMESTAMP '2025-12-31 00:00:00', 'sync-20260302T100000Z-d4e5f6', 'getDeleted')`);
      await run(`INSERT INTO thing__c VALUES
        ('G', false, 'G undeleted', 7.00, 7, NULL, TIMESTAMP '2026-01-01 00:00:00')`);

      // Act
      await run(buildMergeSql(stream, RUNS));
      const rows = (
        await db.connection.runAndReadAll(
          "SELECT id, name, CAST(amount__c AS VARCHAR) AS amount, employees__c, CAST(since__c AS VARCHAR) AS since FROM thing__c ORDER BY id",
        )
      ).getRowObjectsJS();

      // Assess
      expect(rows).toEqual([
        { id: "B", name: "B latest", amount: "21.50", employees__c: 21n, since: "2026-03-02" },
        { id: "D", name: "D new", amount: "4.00", employees__c: 4n, since: null },
        { id: "G", name: "G undeleted", amount: "7.00", employees__c: 7n, since: null },
      ]);
    } finally {
      db.close();
    }
  });

  it("applies partial rows to their pass's columns only, unless a later run's whole row is newer", async () => {
    // Prepare: run 7 refreshed Name as a formula, run 8 backfilled Amount__c (a field new since).
    const stream = smallStream();
    const runs = [
      { ...(RUNS[0] as (typeof RUNS)[0]), partials: [{ origin: "formula" as const, fields: ["Name"] }] },
      {
        ...(RUNS[1] as (typeof RUNS)[1]),
        partials: [{ origin: "backfill" as const, fields: ["Amount__c"] }],
      },
    ];
    const db = await openDuckDb();
    const run = (sql: string) => db.connection.run(sql);
    try {
      await run(
        `CREATE TABLE thing__c (id string, isdeleted boolean, name string, amount__c decimal(18,2), employees__c bigint, since__c date, systemmodstamp timestamp)`,
      );
      await run(`INSERT INTO thing__c VALUES
        ('A', false, 'a0', 1.00, 1, NULL, TIMESTAMP '2026-01-01 00:00:00'),
        ('B', false, 'b0', 2.00, 2, NULL, TIMESTAMP '2026-01-01 00:00:00'),
        ('C', false, 'c0', NULL, 3, NULL, TIMESTAMP '2026-01-01 00:00:00'),
        ('D', false, 'd0', 4.00, 4, NULL, TIMESTAMP '2026-01-01 00:00:00')`);
      await run(
        `CREATE TABLE thing__c_changes (id string, isdeleted boolean, name string, amount__c decimal(18,2), employees__c bigint, since__c date, systemmodstamp timestamp, _origin string, run string)`,
      );
      await run(`INSERT INTO thing__c_changes VALUES
        ('B', false, 'b7', 27.00, 27, NULL, TIMESTAMP '2026-03-01 09:00:00', NULL, 'sync-20260301T100000Z-a1b2c3'),
        ('A', NULL, 'a7 formula', NULL, NULL, NULL, NULL, 'formula', 'sync-20260301T100000Z-a1b2c3'),
        ('B', NULL, 'b7 formula', NULL, NULL, NULL, NULL, 'formula', 'sync-20260301T100000Z-a1b2c3'),
        ('D', NULL, 'd7 formula', NULL, NULL, NULL, NULL, 'formula', 'sync-20260301T100000Z-a1b2c3'),
        ('X', NULL, 'x7 formula', NULL, NULL, NULL, NULL, 'formula', 'sync-20260301T100000Z-a1b2c3'),
        ('A', false, 'a8', 18.00, 18, NULL, TIMESTAMP '2026-03-02 09:00:00', NULL, 'sync-20260302T100000Z-d4e5f6'),
        ('D', true, 'd8', 4.00, 4, NULL, TIMESTAMP '2026-03-02 09:00:00', NULL, 'sync-20260302T100000Z-d4e5f6'),
        ('B', NULL, NULL, 28.00, NULL, NULL, NULL, 'backfill', 'sync-20260302T100000Z-d4e5f6'),
        ('C', NULL, NULL, 38.00, NULL, NULL, NULL, 'backfill', 'sync-20260302T100000Z-d4e5f6'),
        ('X', NULL, NULL, 98.00, NULL, NULL, NULL, 'backfill', 'sync-20260302T100000Z-d4e5f6')`);

      // Act
      const sql = buildMergeSql(stream, runs);
      await run(sql);
      const rows = (
        await db.connection.runAndReadAll(
          "SELECT id, name, CAST(amount__c AS VARCHAR) AS amount, employees__c FROM thing__c ORDER BY id",
        )
      ).getRowObjectsJS();

      // Assess: A's whole row of run 8 is newer than run 7's formula; B takes its run-7 row, then the
      // formula read after it and the backfill; C only its backfilled column; D deleted; X never inserted.
      expect(rows).toEqual([
        { id: "A", name: "a8", amount: "18.00", employees__c: 18n },
        { id: "B", name: "b7 formula", amount: "28.00", employees__c: 27n },
        { id: "C", name: "c0", amount: "38.00", employees__c: 3n },
      ]);
      await expect(`${sql}\n`).toMatchFileSnapshot("./golden/thing-partial-merge.sql");
    } finally {
      db.close();
    }
  });

  it("binds in DuckDB with every column of the demo Account stream", async () => {
    // Prepare
    const stream = demoStream("Account");
    const columns = lakeColumns(stream)
      .map((column) => `"${column.name}" ${column.athenaType}`)
      .join(", ");
    const db = await openDuckDb();
    try {
      await db.connection.run(`CREATE TABLE account (${columns})`);
      await db.connection.run(
        `CREATE TABLE account_changes (${columns}, _run_id string, _origin string, dt string, run string)`,
      );

      // Act
      const merging = db.connection.run(buildMergeSql(stream, RUNS));

      // Assess
      await expect(merging).resolves.toBeDefined();
    } finally {
      db.close();
    }
  });

  it("refuses no runs or more than a batch", () => {
    // Act
    const none = () => buildMergeSql(smallStream(), []);
    const many = () =>
      buildMergeSql(
        smallStream(),
        Array.from({ length: MAX_RUNS_PER_MERGE + 1 }, (_, seq) => ({ runId: `r-${seq}`, seq })),
      );

    // Assess
    expect(none).toThrow("a merge takes 1 to 100 runs, not 0");
    expect(many).toThrow("not 101");
  });

  it("without IsDeleted or a cursor: deletes come from the delete log alone, runs ordered by commit alone", () => {
    // Prepare
    const stream = { ...smallStream(), hasIsDeleted: false, cursorField: null };

    // Act
    const sql = buildMergeSql(stream, RUNS);

    // Assess
    expect(sql).not.toContain('coalesce(s."isdeleted"');
    expect(sql).toContain(
      `WHEN MATCHED AND coalesce(s."_origin" IN ('getDeleted', 'reconcile'), false) THEN DELETE`,
    );
    expect(sql).toContain(
      `WHEN MATCHED AND NOT coalesce(s."_origin" IN ('getDeleted', 'reconcile'), false) THEN UPDATE`,
    );
    expect(sql).toContain(`ORDER BY r."seq" DESC)`);
    expect(sql).toContain(
      `WHEN NOT MATCHED AND NOT coalesce(s."_origin" IN ('getDeleted', 'reconcile'), false) THEN INSERT`,
    );
  });
});
