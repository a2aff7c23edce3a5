import { ConfigurationError } from "../errors";

export const INBOUND_OPERATIONS = ["insert", "update", "upsert", "delete", "hardDelete"] as const;
export type InboundOperation = (typeof INBOUND_OPERATIONS)[number];

export interface InboundTarget {
  object: string;
  operation: InboundOperation;
  externalIdField?: string;
  /** The file name under the operation folder. */
  file: string;
}

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,79}$/;

export function assertRunId(runId: string): string {
  if (!RUN_ID.test(runId)) {
    throw new ConfigurationError(
      `Run id ${JSON.stringify(runId.slice(0, 90))} is not usable in S3 keys: use letters, digits, '-', '_', '.', ':' (at most 80).`,
    );
  }
  return runId;
}

function pad(index: number): string {
  return String(index).padStart(5, "0");
}

/**
 * Where everything lives in the bucket (one prefix per connection):
 * `catalog/`, `data/<Object>/dt=<date>/run=<runId>/`, `runs/<runId>/`, `inbound/<Object>/<operation>/…`,
 * `results/<inbound key>/`. Keys are deterministic so a retry overwrites rather than duplicates.
 */
export class Layout {
  readonly prefix: string;

  constructor(prefix = "") {
    const trimmed = prefix.replace(/^\/+|\/+$/g, "");
    this.prefix = trimmed ? `${trimmed}/` : "";
  }

  catalogIndex(): string {
    return `${this.prefix}catalog/index.json`;
  }

  catalogStream(object: string, version: number): string {
    return `${this.prefix}catalog/${object}/v${version}.json`;
  }

  catalogChanges(version: number): string {
    return `${this.prefix}catalog/changes/v${version}.json`;
  }

  /** Everything landed for an object: the change log's location (one folder per date and run). */
  dataFolder(object: string): string {
    return `${this.prefix}data/${object}/`;
  }

  runFolder(object: string, runDate: string, runId: string): string {
    return `${this.dataFolder(object)}dt=${runDate}/run=${runId}/`;
  }

  /** A stream's current-state table: its own folder (Iceberg data and metadata in AWS). */
  lakeTable(object: string): string {
    return `${this.prefix}lake/${object}/`;
  }

  /** Where Athena writes query results and metadata (the stack's workgroup points here). */
  athenaResults(): string {
    return `${this.prefix}athena-results/`;
  }

  /**
   * A part's key: the job (or REST attempt) tag and page index make it deterministic; the format names
   * the extension (`.parquet`, or `.jsonl.gz`).
   */
  part(
    object: string,
    runDate: string,
    runId: string,
    jobTag: string,
    index: number,
    format: "parquet" | "jsonl" = "jsonl",
  ): string {
    const extension = format === "parquet" ? "parquet" : "jsonl.gz";
    return `${this.runFolder(object, runDate, runId)}part-${jobTag}-${pad(index)}.${extension}`;
  }

  manifest(object: string, runDate: string, runId: string): string {
    return `${this.runFolder(object, runDate, runId)}_manifest.json`;
  }

  /**
   * The commit index: one small pointer per committed run of an object (its manifest, run, date and
   * format), numbered by the stream's commit sequence so the lake's merge reads exactly the runs after
   * its watermark, in order, without listing.
   */
  commitPointer(object: string, seq: number): string {
    return `${this.prefix}data/${object}/_commits/${String(seq).padStart(10, "0")}.json`;
  }

  /**
   * The current-state table of an object as DuckDB keeps it on one machine: one Parquet file per
   * watermark (the table as merged through commit `seq`), apart from the Iceberg folder `lakeTable`.
   */
  localLakeTable(object: string, seq: number): string {
    return `${this.localLakeFolder(object)}${String(seq).padStart(10, "0")}.parquet`;
  }

  /** The folder of an object's local current-state tables, one per watermark. */
  localLakeFolder(object: string): string {
    return `${this.prefix}lake-local/${object}/`;
  }

  /** The objects a sync run extracts (discover's plan), which the sync's Distributed Map reads. */
  runObjects(runId: string): string {
    return `${this.prefix}runs/${runId}/objects.json`;
  }

  /**
   * Where the sync's Distributed Map writes its results (ResultWriter's Prefix: each Map run adds
   * `/<map run id>/manifest.json` and its result files). Not a run id: those start with a letter or digit.
   */
  mapResults(): string {
    return `${this.prefix}runs/_map-results`;
  }

  /** A sync run's summary: every object's outcome and manifest. */
  runSummary(runId: string): string {
    return `${this.prefix}runs/${runId}/summary.json`;
  }

  /** Why an object failed in a sync run, for the run's summary. */
  runError(runId: string, object: string): string {
    return `${this.prefix}runs/${runId}/errors/${object}.json`;
  }

  /**
   * A run's Id snapshot of an object (Id reconciliation): Parquet parts of the org's live Ids, in a
   * folder of their own outside the change log (whose tables read every file of a run's folder), so
   * the engines read it as the `<object>_ids` table.
   */
  reconcileIdsFolder(runId: string, object: string): string {
    return `${this.prefix}runs/${runId}/reconcile/${object}/ids/`;
  }

  reconcileIdsPart(runId: string, object: string, index: number): string {
    return `${this.reconcileIdsFolder(runId, object)}part-${pad(index)}.parquet`;
  }

  /** What the engine's comparison of a run's Id snapshot with the current-state table found. */
  reconcileDiff(runId: string, object: string): string {
    return `${this.prefix}runs/${runId}/reconcile/${object}/diff.json`;
  }

  inboundPrefix(): string {
    return `${this.prefix}inbound/`;
  }

  /** `results/<inbound key relative to the prefix>/` */
  resultsFolder(inboundKey: string): string {
    const relative = inboundKey.startsWith(this.prefix) ? inboundKey.slice(this.prefix.length) : inboundKey;
    return `${this.prefix}results/${relative}/`;
  }

  /**
   * Read object, operation and (for upsert) external id field from an inbound key:
   * `inbound/<Object>/<operation>[/<ExternalIdField>]/<file>`.
   */
  parseInbound(key: string): InboundTarget {
    const inbound = this.inboundPrefix();
    const usage = `Put files under ${inbound}<Object>/<operation>/<file> (operation: ${INBOUND_OPERATIONS.join(", ")}; upsert as ${inbound}<Object>/upsert/<ExternalIdField>/<file>).`;
    if (!key.startsWith(inbound)) {
      throw new ConfigurationError(`${key} is not under ${inbound}. ${usage}`);
    }
    const parts = key.slice(inbound.length).split("/");
    const [object, operation, ...rest] = parts;
    const known = INBOUND_OPERATIONS.find((op) => op.toLowerCase() === operation?.toLowerCase());
    if (!object || !operation || !known) {
      throw new ConfigurationError(
        `${key}: ${operation ? `"${operation}" is not an operation` : "the operation folder is missing"}. ${usage}`,
      );
    }
    if (known === "upsert") {
      const [externalIdField, ...fileParts] = rest;
      if (!externalIdField || fileParts.length === 0) {
        throw new ConfigurationError(`${key}: an upsert needs the external id field folder. ${usage}`);
      }
      return { object, operation: known, externalIdField, file: fileParts.join("/") };
    }
    if (rest.length === 0 || rest.join("/") === "") {
      throw new ConfigurationError(`${key}: the file name is missing. ${usage}`);
    }
    return { object, operation: known, file: rest.join("/") };
  }
}
