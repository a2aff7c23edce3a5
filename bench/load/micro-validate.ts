/**
 * The validation data path alone, in one process and without S3 or Salesforce: the load benchmark's
 * file (generated in memory) read, each row checked against a plan made like the bench object's, and
 * staged as Bulk ingest job files (JobStager) into a store that discards them. Reports CPU per phase of the path, so a change
 * to the reader, the value checks or the writer is measured in seconds instead of a benchmark run.
 *
 *   npx tsx bench/load/micro-validate.ts [records=200000] [reps=3] [--hash]
 *
 * `--hash` also prints a digest of the CSV staged, to check that a change leaves the output byte for
 * byte the same.
 */
import { createHash } from "node:crypto";
import type { CatalogField } from "../../functions/core/catalog";
import type { LoadDeps } from "../../functions/core/load/load-deps";
import type { LoadPlan } from "../../functions/core/load/load-plan";
import type { LoadState } from "../../functions/core/load/load-state";
import { openInboundRows, prepareRow } from "../../functions/core/load/row-codec";
import { JobStager } from "../../functions/core/load/staged-jobs";
import type { ObjectStore } from "../../functions/core/ports";
import { LOAD_COLUMNS, loadFileChunks } from "./load-file";

const KINDS: Record<string, Partial<CatalogField>> = {
  ERP_Id__c: { sfType: "string", length: 40, externalId: true },
  Name: { sfType: "string", length: 255 },
  Type__c: { sfType: "picklist" },
  Industry__c: { sfType: "picklist" },
  Rating__c: { sfType: "picklist" },
  Tags__c: { sfType: "multipicklist" },
  Description__c: { sfType: "textarea", length: 32000 },
  Billing_City__c: { sfType: "string", length: 40 },
  Billing_Country__c: { sfType: "string", length: 80 },
  Phone__c: { sfType: "phone", length: 40 },
  Website__c: { sfType: "url", length: 255 },
  Email__c: { sfType: "email", length: 80 },
  Annual_Revenue__c: { sfType: "currency", precision: 18, scale: 2 },
  Employees__c: { sfType: "int" },
  Score__c: { sfType: "double", precision: 18, scale: 4 },
  Discount__c: { sfType: "percent", precision: 5, scale: 2 },
  Active__c: { sfType: "boolean" },
  Founded__c: { sfType: "date" },
  Last_Contact__c: { sfType: "datetime" },
  Notes__c: { sfType: "textarea", length: 255 },
};

function benchPlan(): LoadPlan {
  return {
    object: "Bench_Account__c",
    operation: "upsert",
    externalIdField: "ERP_Id__c",
    format: "csv",
    idColumn: -1,
    columns: LOAD_COLUMNS.map((name) => ({
      header: name,
      name,
      field: {
        name,
        sfType: "string",
        json: { type: "string" },
        nullable: true,
        calculated: false,
        filterable: true,
        createable: true,
        updateable: true,
        externalId: false,
        idLookup: false,
        unique: false,
        ...KINDS[name],
      } as CatalogField,
    })),
  };
}

const records = Number(process.argv[2] ?? 200_000);
const reps = Number(process.argv[3] ?? 3);
const file = [...loadFileChunks(records, 64 * 1024)];
const plan = benchPlan();
const hashing = process.argv.includes("--hash");

async function* chunks(): AsyncGenerator<Uint8Array> {
  yield* file;
}

/** A store whose uploads are read to the end (and hashed when asked) and kept nowhere. */
function discardingStore(take: (chunk: Uint8Array) => void): ObjectStore {
  return {
    bucket: "micro",
    async upload(_key: string, body: AsyncIterable<Uint8Array>) {
      let bytes = 0;
      for await (const chunk of body) {
        bytes += chunk.length;
        take(chunk);
      }
      return { bytes };
    },
  } as unknown as ObjectStore;
}

for (let rep = 1; rep <= reps; rep++) {
  let bytes = 0;
  const hash = createHash("sha256");
  const store = discardingStore((chunk) => {
    bytes += chunk.length;
    if (hashing) hash.update(chunk);
  });
  const deps = { store, settings: { jobMaxBytes: 100 * 1024 * 1024 } } as unknown as LoadDeps;
  const state = { resultsFolder: "micro/", runId: `rep-${rep}`, staged: [] } as unknown as LoadState;
  const cpu = process.cpuUsage();
  const started = performance.now();
  const reader = openInboundRows(chunks(), "csv");
  await reader.header();
  const stager = new JobStager(deps, state);
  let rows = 0;
  let index = 0;
  for await (const batch of reader.batches()) {
    for (const raw of batch.items) {
      const item = prepareRow(plan, raw, index++);
      if (!item.ok) throw new Error(`row ${index} rejected: ${item.reject.reason}`);
      const handing = stager.write(plan, item.row.values);
      if (handing !== undefined) await handing;
      rows += 1;
    }
  }
  await stager.commit();
  const used = process.cpuUsage(cpu);
  const memory = process.memoryUsage();
  const digest = hashing ? ` sha256 ${hash.digest("hex").slice(0, 16)}` : "";
  process.stdout.write(
    `#${rep}: ${rows} rows, ${state.staged?.length} jobs, ${(bytes / 1e6).toFixed(1)} MB out, ${((used.user + used.system) / 1000).toFixed(0)} ms CPU, ` +
      `${(performance.now() - started).toFixed(0)} ms wall, rss ${(memory.rss / 2 ** 20).toFixed(0)} MB${digest}\n`,
  );
}
