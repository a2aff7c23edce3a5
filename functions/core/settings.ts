import * as z from "zod";
import { ConfigurationError } from "../errors";
import type { LimitReserve } from "../salesforce/limits";
import { type ColumnControls, checkFieldRules } from "./column-controls";
import { compilePattern } from "./patterns";

/** How extract writes parts: typed Parquet (the default), or gzip JSON lines. */
export const PART_FORMATS = ["parquet", "jsonl"] as const;
export type ExtractFormat = (typeof PART_FORMATS)[number];

/** What extract needs, in milliseconds; derived from the connection settings. */
export interface ExtractSettings {
  /** Parts as typed Parquet (ZSTD inside) or as gzip JSON lines; a run keeps the format it started with. */
  format: ExtractFormat;
  /** Re-read this much before the cursor, for rows whose timestamp is earlier than their visibility. */
  lookbackMs: number;
  /** End windows this long before the org's "now", for transactions still committing. */
  lagMs: number;
  /** Lease length; renewed by every action of the run. */
  leaseMs: number;
  /** Rows per Bulk results page (`maxRecords`): each page becomes one part. */
  bulkPageRecords: number;
  /**
   * Windows with at most this many rows go through REST (seen from a first REST page), bigger ones
   * through a Bulk job. 0: always Bulk for Bulk-capable objects.
   */
  restMaxRecords: number;
  /** REST query batch size (200–2000). */
  restBatchSize: number;
  /** Rows per part on the REST path. */
  restPartRecords: number;
  /** First incremental run reads from here (ISO-8601); absent: from the beginning. */
  startDate?: string;
  reserve: LimitReserve;
  /** gzip level for JSON-lines parts: 1 trades a little size for a lot of speed. */
  gzipLevel: number;
  /** First and longest wait between polls of a Bulk job. */
  pollFirstSeconds: number;
  pollMaxSeconds: number;
  /** Stop starting pages when less than this much of the invocation's time is left. */
  safetyMarginMs: number;
  /**
   * Reconcile a stream's Ids with the org when its last reconciliation is this old (ms); undefined:
   * never on a schedule (a gap longer than the recycle bin, or a delete log that cannot answer, still
   * reconciles).
   */
  reconcileEveryMs?: number;
  /**
   * How often each object's formula (calculated) fields are read again, by object pattern, first match
   * wins (ms; undefined: never). Formulas change without moving `SystemModstamp` (`TODAY()`, a parent's
   * field), so an incremental read alone leaves them stale.
   */
  formulaRefresh: Array<{ pattern: RegExp; everyMs: number | undefined }>;
  /** `blockFields` and `hashFields`: applied when extract describes an object again (refreshStream). */
  columnControls?: ColumnControls;
}

export const DEFAULT_EXTRACT_SETTINGS: ExtractSettings = {
  format: "parquet",
  lookbackMs: 10 * 60_000,
  lagMs: 2 * 60_000,
  leaseMs: 20 * 60_000,
  bulkPageRecords: 250_000,
  restMaxRecords: 10_000,
  restBatchSize: 2000,
  restPartRecords: 50_000,
  reserve: { dailyApiRequests: 1000, dailyBulkQueryJobs: 100 },
  gzipLevel: 1,
  pollFirstSeconds: 2,
  pollMaxSeconds: 30,
  safetyMarginMs: 30_000,
  reconcileEveryMs: 7 * 86_400_000,
  formulaRefresh: [],
};

/** Formula fields are read again daily unless `formulaRefresh` says otherwise. */
export const DEFAULT_FORMULA_REFRESH_MS = 86_400_000;

/** How often `object`'s formula fields are read again (ms; undefined: never). */
export function formulaRefreshMs(
  settings: Pick<ExtractSettings, "formulaRefresh">,
  object: string,
): number | undefined {
  const rule = settings.formulaRefresh.find((candidate) => candidate.pattern.test(object));
  return rule === undefined ? DEFAULT_FORMULA_REFRESH_MS : rule.everyMs;
}

/** `reconcileEvery`: `weekly`, `daily`, `never`, or a number of days or hours (`3d`, `12h`). */
const RECONCILE_EVERY = /^(weekly|daily|never|[1-9]\d{0,3}[dh])$/;

const EVERY_MESSAGE =
  'must be "weekly", "daily", "never", or a number of days or hours such as "3d" or "12h"';

/** `reconcileEvery` (or `formulaRefresh`) in ms (undefined: never). */
export function reconcileEveryMs(value: string): number | undefined {
  if (value === "never") return undefined;
  if (value === "weekly") return 7 * 86_400_000;
  if (value === "daily") return 86_400_000;
  const amount = Number(value.slice(0, -1));
  return amount * (value.endsWith("d") ? 86_400_000 : 3_600_000);
}

/**
 * A connection's settings: one schema shared by the CDK config (which passes them to the Lambdas as
 * JSON), the Lambdas and the command line, so a typo is caught in the same words everywhere.
 */

const pattern = z.string().superRefine((value, context) => {
  try {
    compilePattern(value);
  } catch (error) {
    context.addIssue({ code: "custom", message: (error as Error).message });
  }
});

/** `blockFields` / `hashFields`: `{"<object or glob>": ["<field or glob>", …]}`. */
const fieldRules = z.record(z.string(), z.array(z.string())).default({});

const syncMode = z.enum(["full_refresh", "incremental"]);
const isoDate = z
  .string()
  .refine((value) => /^\d{4}-\d{2}-\d{2}(T.*)?$/.test(value) && Number.isFinite(Date.parse(value)), {
    message: "must be an ISO-8601 date or datetime such as 2024-01-01 or 2024-01-01T00:00:00Z",
  });

export const LoadSettingsSchema = z
  .object({
    /** Files with at most this many rows go through sObject Collections (200 a call); bigger ones Bulk 2.0. */
    collectionsMaxRows: z.number().int().min(0).max(100_000).default(2000),
    /** Split Bulk ingest jobs at this much CSV (Salesforce takes 150 MB after base64: keep 100 MB raw). */
    jobMaxBytes: z
      .number()
      .int()
      .min(1024)
      .max(100 * 1024 * 1024)
      .default(100 * 1024 * 1024),
    /** Stop at the first invalid row instead of rejecting it and going on. */
    failOnFirstError: z.boolean().default(false),
    /** Rounds of resubmitting rows that failed for a transient reason (UNABLE_TO_LOCK_ROW, limits). */
    maxRetryRounds: z.number().int().min(0).max(10).default(3),
    retryWaitSeconds: z.number().int().min(0).max(3600).default(30),
    pollFirstSeconds: z.number().int().min(1).max(300).default(2),
    pollMaxSeconds: z.number().int().min(1).max(900).default(30),
    /** Send only the update/upsert rows that change at least one field (a load may say otherwise). */
    skipUnchanged: z.boolean().default(false),
    /** Compare with the lake's current-state table only when it holds the org as of this recently. */
    diffMaxLagMinutes: z
      .number()
      .int()
      .min(0)
      .max(7 * 24 * 60)
      .default(60),
  })
  .strict();

export const ConnectorSettingsSchema = z
  .object({
    /** How extract writes parts: typed Parquet, or gzip JSON lines as before. */
    format: z.enum(PART_FORMATS).default(DEFAULT_EXTRACT_SETTINGS.format),
    /** Objects discover describes: API names or globs (`*__c`). */
    include: z.array(pattern).default(["*"]),
    exclude: z.array(pattern).default([]),
    /** Objects a sync extracts (default: every discovered object). */
    objects: z.array(pattern).optional(),
    /** Mode per object name or glob; others use defaultMode (incremental needs a cursor field). */
    modes: z.record(z.string(), syncMode).default({}),
    defaultMode: syncMode.default("incremental"),
    lookbackSeconds: z
      .number()
      .int()
      .min(0)
      .default(DEFAULT_EXTRACT_SETTINGS.lookbackMs / 1000),
    lagSeconds: z
      .number()
      .int()
      .min(0)
      .default(DEFAULT_EXTRACT_SETTINGS.lagMs / 1000),
    /** First incremental run of an object reads from here; absent: everything. */
    startDate: isoDate.optional(),
    leaseSeconds: z
      .number()
      .int()
      .min(60)
      .default(DEFAULT_EXTRACT_SETTINGS.leaseMs / 1000),
    bulkPageRecords: z.number().int().min(1).max(1_000_000).default(DEFAULT_EXTRACT_SETTINGS.bulkPageRecords),
    restPartRecords: z.number().int().min(1).default(DEFAULT_EXTRACT_SETTINGS.restPartRecords),
    /** Windows with at most this many rows use REST instead of a Bulk job (0: always Bulk). */
    restMaxRecords: z.number().int().min(0).max(1_000_000).default(DEFAULT_EXTRACT_SETTINGS.restMaxRecords),
    gzipLevel: z.number().int().min(1).max(9).default(DEFAULT_EXTRACT_SETTINGS.gzipLevel),
    pollFirstSeconds: z.number().int().min(1).max(300).default(DEFAULT_EXTRACT_SETTINGS.pollFirstSeconds),
    pollMaxSeconds: z.number().int().min(1).max(900).default(DEFAULT_EXTRACT_SETTINGS.pollMaxSeconds),
    /** Keep this much of the org's daily allowance for everyone else: refuse to start below it. */
    reserve: z
      .object({
        dailyApiRequests: z.number().int().min(0).default(DEFAULT_EXTRACT_SETTINGS.reserve.dailyApiRequests),
        dailyBulkQueryJobs: z
          .number()
          .int()
          .min(0)
          .default(DEFAULT_EXTRACT_SETTINGS.reserve.dailyBulkQueryJobs ?? 0),
        dailyBulkBatches: z.number().int().min(0).default(100),
      })
      .strict()
      .default({ dailyApiRequests: 1000, dailyBulkQueryJobs: 100, dailyBulkBatches: 100 }),
    /** How often each stream's Ids are reconciled with the org (hard deletes the delete log lost, rows the lake lacks). */
    reconcileEvery: z
      .string()
      .regex(RECONCILE_EVERY, {
        message: EVERY_MESSAGE,
      })
      .default("weekly"),
    /**
     * How often formula fields are read again: one value for every object, or by object pattern
     * (`{"Invoice__c": "12h", "*": "daily"}`, first match wins); same words as `reconcileEvery`.
     */
    formulaRefresh: z
      .union([
        z.string().regex(RECONCILE_EVERY, { message: EVERY_MESSAGE }),
        z.record(z.string(), z.string().regex(RECONCILE_EVERY, { message: EVERY_MESSAGE })),
      ])
      .default("daily"),
    /** Fields never selected, landed or in a table, per object name or glob: `{"Contact": ["Birthdate"]}`. */
    blockFields: fieldRules,
    /** Fields landed only as HMAC-SHA-256 keyed by the secret's `hashKey`, per object name or glob. */
    hashFields: fieldRules,
    load: LoadSettingsSchema.default(LoadSettingsSchema.parse({})),
  })
  .strict()
  .superRefine((value, context) => {
    for (const setting of ["blockFields", "hashFields"] as const) {
      for (const problem of checkFieldRules(value[setting])) {
        context.addIssue({ code: "custom", path: [setting], message: problem });
      }
    }
    for (const key of Object.keys(value.modes)) {
      try {
        compilePattern(key);
      } catch (error) {
        context.addIssue({ code: "custom", path: ["modes", key], message: (error as Error).message });
      }
    }
    if (typeof value.formulaRefresh === "object") {
      for (const key of Object.keys(value.formulaRefresh)) {
        try {
          compilePattern(key);
        } catch (error) {
          context.addIssue({
            code: "custom",
            path: ["formulaRefresh", key],
            message: (error as Error).message,
          });
        }
      }
    }
  });

export type ConnectorSettings = z.infer<typeof ConnectorSettingsSchema>;
export type LoadSettings = z.infer<typeof LoadSettingsSchema>;

/** Parse settings, turning schema issues into one ConfigurationError that names each bad key. */
export function parseSettings(input: unknown, source: string): ConnectorSettings {
  const parsed = ConnectorSettingsSchema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map(
    (issue) => `${issue.path.join(".") || "(settings)"}: ${issue.message}`,
  );
  throw new ConfigurationError(`Invalid settings in ${source}: ${problems.join("; ")}.`);
}

export function extractSettingsOf(settings: ConnectorSettings): ExtractSettings {
  return {
    format: settings.format,
    lookbackMs: settings.lookbackSeconds * 1000,
    lagMs: settings.lagSeconds * 1000,
    leaseMs: settings.leaseSeconds * 1000,
    bulkPageRecords: settings.bulkPageRecords,
    restMaxRecords: settings.restMaxRecords,
    restBatchSize: DEFAULT_EXTRACT_SETTINGS.restBatchSize,
    restPartRecords: settings.restPartRecords,
    startDate: settings.startDate,
    reserve: settings.reserve,
    gzipLevel: settings.gzipLevel,
    pollFirstSeconds: settings.pollFirstSeconds,
    pollMaxSeconds: settings.pollMaxSeconds,
    safetyMarginMs: DEFAULT_EXTRACT_SETTINGS.safetyMarginMs,
    reconcileEveryMs: reconcileEveryMs(settings.reconcileEvery),
    formulaRefresh: Object.entries(
      typeof settings.formulaRefresh === "string"
        ? { "*": settings.formulaRefresh }
        : settings.formulaRefresh,
    ).map(([pattern, every]) => ({ pattern: compilePattern(pattern), everyMs: reconcileEveryMs(every) })),
    columnControls: columnControlsOf(settings),
  };
}

/** The settings' column controls (`blockFields`, `hashFields`): what discover applies to each stream. */
export function columnControlsOf(
  settings: Pick<ConnectorSettings, "blockFields" | "hashFields">,
): ColumnControls {
  return { blockFields: settings.blockFields, hashFields: settings.hashFields };
}
