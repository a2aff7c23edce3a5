import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { driveLoad } from "./drive-load";
import { dropFile, readSummary, startLoadHarness } from "./load-fixtures";

let harness: Awaited<ReturnType<typeof startLoadHarness>>;

beforeAll(async () => {
  harness = await startLoadHarness();
});

afterAll(async () => {
  await harness.stop();
});

const DML_KINDS = ["collections", "bulkIngestCreate", "bulkIngestUpload", "bulkIngestClose"] as const;

const binary = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 37 + 11) % 256));

/** Files that cannot be loaded at all, what the report must say, and where. */
const CORPUS: Array<{
  name: string;
  key: string;
  body: string | Uint8Array;
  says: RegExp;
  line?: number;
  column?: number;
}> = [
  {
    name: "malformed quoting",
    key: "Account/insert/quote.csv",
    body: 'Name,Phone\n"Acme,1\nGlobex,2\n',
    says: /quote/i,
  },
  { name: "binary garbage", key: "Account/insert/binary.csv", body: binary, says: /binary|UTF-8|NUL/i },
  {
    name: "wrong delimiter",
    key: "Account/insert/semicolons.csv",
    body: "Name;Phone\nAcme;1\n",
    says: /separate fields with semicolons/,
    line: 1,
    column: 1,
  },
  {
    name: "missing header",
    key: "Account/insert/no-header.csv",
    body: "Acme,555-0100\nGlobex,555-0101\n",
    says: /header/,
    line: 1,
  },
  {
    name: "unknown field",
    key: "Account/insert/unknown-field.csv",
    body: "Name,Colour\nAcme,red\n",
    says: /'Colour' \(column 2\) is not a field of Account/,
    line: 1,
    column: 2,
  },
  {
    name: "unknown object",
    key: "Unicorn__c/insert/x.csv",
    body: "Name\nSparkle\n",
    says: /no object named Unicorn__c/,
  },
  { name: "empty file", key: "Account/insert/empty.csv", body: "", says: /empty/i },
  {
    name: "header only",
    key: "Account/insert/header-only.csv",
    body: "Name,Phone\n",
    says: /no rows/,
    line: 2,
  },
  {
    name: "invalid UTF-8",
    key: "Account/insert/latin1.csv",
    body: Buffer.concat([Buffer.from("Name\nCaf"), Buffer.from([0xe9]), Buffer.from("\n")]),
    says: /UTF-8/,
    line: 2,
  },
  {
    name: "gzip name without gzip content",
    key: "Account/insert/not-gzip.csv.gz",
    body: "Name\nAcme\n",
    says: /not gzip-compressed/,
  },
  {
    name: "unknown file type",
    key: "Account/insert/book.xlsx",
    body: "Name\nAcme\n",
    says: /does not say its format/,
  },
  { name: "broken JSON lines", key: "Account/insert/broken.jsonl", body: '{"Name": "Acme"\n', says: /JSON/i },
];

describe("load: files rejected whole", () => {
  for (const file of CORPUS) {
    it(`rejects a file with ${file.name}: a clear report, nothing sent`, async () => {
      // Prepare
      const h = harness;
      const before = DML_KINDS.map((kind) => h.emulator.calls.count(kind));
      const request = await dropFile(h, `inbound/${file.key}`, file.body);

      // Act
      const run = await driveLoad(h.runtime, request);

      // Assess
      expect(run.error?.name).toBe("DataError");
      expect(run.summary?.outcome).toBe("rejected");
      const summary = await readSummary(h.runtime.store, run.summary as never);
      expect(summary.outcome).toBe("rejected");
      expect(summary.problem?.message).toMatch(file.says);
      expect(summary.problem?.fix).toMatch(/upload it again/);
      if (file.line !== undefined) expect(summary.problem?.line).toBe(file.line);
      if (file.column !== undefined) expect(summary.problem?.column).toBe(file.column);
      expect(summary.message).toMatch(/nothing was sent to Salesforce/);
      expect(DML_KINDS.map((kind) => h.emulator.calls.count(kind))).toEqual(before);
      const claim = await h.runtime.state.getFile({
        bucket: request.bucket,
        key: request.key,
        version: run.states[0]?.file.version as string,
      });
      expect(claim).toMatchObject({ status: "failed", summaryKey: summary.files.summary });
    });
  }

  it("rejects a file that writes a field blockFields blocks, directly or through a relationship", async () => {
    // Prepare
    const h = await startLoadHarness({}, {}, { blockFields: { "Invoice*": ["Notes__c", "Account__c"] } });
    try {
      const before = DML_KINDS.map((kind) => h.emulator.calls.count(kind));
      const direct = await dropFile(
        h,
        "inbound/Invoice__c/insert/notes.csv",
        "ERP_Id__c,Notes__c\nA,secret\n",
      );
      const related = await dropFile(
        h,
        "inbound/Invoice__c/insert/parent.csv",
        "ERP_Id__c,Account__r.ERP_Id__c\nB,X-1\n",
      );

      // Act
      const runs = [await driveLoad(h.runtime, direct), await driveLoad(h.runtime, related)];

      // Assess
      for (const [run, field, column] of [
        [runs[0], "Notes__c", 2],
        [runs[1], "Account__c", 2],
      ] as const) {
        expect(run?.error?.name).toBe("DataError");
        const summary = await readSummary(h.runtime.store, run?.summary as never);
        expect(summary.outcome).toBe("rejected");
        expect(summary.problem?.message).toMatch(
          new RegExp(`Invoice__c\\.${field} is blocked by blockFields in the connection's settings`),
        );
        expect(summary.problem?.column).toBe(column);
      }
      expect(DML_KINDS.map((kind) => h.emulator.calls.count(kind))).toEqual(before);
    } finally {
      await h.stop();
    }
  });

  it("rejects the whole file at the first invalid row when failOnFirstError is set", async () => {
    // Prepare
    const h = await startLoadHarness({ failOnFirstError: true });
    try {
      const request = await dropFile(
        h,
        "inbound/Invoice__c/insert/strict.csv",
        "ERP_Id__c,Amount__c\nA,1\nB,lots\nC,3\n",
      );

      // Act
      const run = await driveLoad(h.runtime, request);

      // Assess
      expect(run.error?.name).toBe("DataError");
      expect(run.summary).toMatchObject({ outcome: "rejected", problem: { line: 3 } });
      expect(h.emulator.calls.count("collections")).toBe(0);
      expect(h.org.count("Invoice__c")).toBe(0);
    } finally {
      await h.stop();
    }
  });
});
