/**
 * The org's limits as `/limits` reports them. Remaining really decreases: the HTTP layer spends
 * DailyApiRequests per API call, DailyBulkV2QueryJobs per query job, DailyBulkApiBatches per ingest
 * batch and DailyBulkV2QueryFileStorageMB per materialized query result.
 */

export interface LimitValue {
  Max: number;
  Remaining: number;
}

/** Names and Max values of a Developer/Enterprise org's `/limits` (the ones clients read first). */
const DEFAULT_MAX: Record<string, number> = {
  ActiveScratchOrgs: 3,
  AnalyticsExternalDataSizeMB: 40960,
  ConcurrentAsyncGetReportInstances: 200,
  ConcurrentSyncReportRuns: 20,
  DailyAnalyticsDataflowJobExecutions: 60,
  DailyApiRequests: 100000,
  DailyAsyncApexExecutions: 250000,
  DailyAsyncApexTests: 500,
  DailyBulkApiBatches: 15000,
  DailyBulkV2QueryFileStorageMB: 976562,
  DailyBulkV2QueryJobs: 10000,
  DailyDeliveredPlatformEvents: 10000,
  DailyDurableGenericStreamingApiEvents: 10000,
  DailyDurableStreamingApiEvents: 10000,
  DailyGenericStreamingApiEvents: 10000,
  DailyScratchOrgs: 6,
  DailyStandardVolumePlatformEvents: 10000,
  DailyStreamingApiEvents: 10000,
  DailyWorkflowEmails: 2000,
  DataStorageMB: 5,
  DurableStreamingApiConcurrentClients: 20,
  FileStorageMB: 20,
  HourlyAsyncReportRuns: 1200,
  HourlyDashboardRefreshes: 200,
  HourlyDashboardResults: 5000,
  HourlyDashboardStatuses: 999999999,
  HourlyLongTermIdMapping: 100000,
  HourlyManagedContentPublicRequests: 50000,
  HourlyODataCallout: 10000,
  HourlyPublishedPlatformEvents: 50000,
  HourlyPublishedStandardVolumePlatformEvents: 1000,
  HourlyShortTermIdMapping: 100000,
  HourlySyncReportRuns: 500,
  HourlyTimeBasedWorkflow: 50,
  MassEmail: 10,
  MonthlyPlatformEventsUsageEntitlement: 0,
  Package2VersionCreates: 6,
  Package2VersionCreatesWithoutValidation: 500,
  PermissionSets: 1500,
  PrivateConnectOutboundCalloutHourlyLimitMB: 0,
  SingleEmail: 15,
  StreamingApiConcurrentClients: 20,
};

export class Limits {
  private readonly values = new Map<string, LimitValue>();

  constructor(overrides: Partial<Record<string, number>> = {}) {
    for (const [name, max] of Object.entries({ ...DEFAULT_MAX, ...overrides })) {
      if (max === undefined) continue;
      this.values.set(name, { Max: max, Remaining: max });
    }
  }

  get(name: string): LimitValue {
    const value = this.values.get(name);
    if (value === undefined) throw new RangeError(`Unknown limit '${name}'.`);
    return { ...value };
  }

  /** Sets what remains; an unknown name becomes a new limit whose Max is that value. */
  set(name: string, remaining: number): void {
    const value = this.values.get(name);
    if (value === undefined) this.values.set(name, { Max: remaining, Remaining: remaining });
    else value.Remaining = Math.max(0, remaining);
  }

  /** Spends `amount` when that much remains; false (nothing spent) when it does not. */
  trySpend(name: string, amount = 1): boolean {
    const value = this.values.get(name);
    if (value === undefined) return true;
    if (value.Remaining < amount) return false;
    value.Remaining -= amount;
    return true;
  }

  /** Spends up to `amount`, never below zero (storage-like limits that Salesforce lets overrun). */
  spendUpTo(name: string, amount: number): void {
    const value = this.values.get(name);
    if (value !== undefined) value.Remaining = Math.max(0, value.Remaining - amount);
  }

  /** The `Sforce-Limit-Info` header value. */
  usageHeader(): string {
    const api = this.get("DailyApiRequests");
    return `api-usage=${api.Max - api.Remaining}/${api.Max}`;
  }

  /** The `/limits` body, names in alphabetical order as Salesforce sends them. */
  toJSON(): Record<string, LimitValue> {
    const out: Record<string, LimitValue> = {};
    for (const name of [...this.values.keys()].sort()) {
      const value = this.values.get(name);
      if (value !== undefined) out[name] = { Max: value.Max, Remaining: value.Remaining };
    }
    return out;
  }
}
