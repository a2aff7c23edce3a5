import { RateLimitError } from "../errors";
import type { SalesforceClient } from "./client";

export type Limits = Record<string, { Max: number; Remaining: number }>;

export async function getLimits(client: SalesforceClient): Promise<Limits> {
  return client.json<Limits>({ method: "GET", path: "limits/", kind: "limits" });
}

export interface LimitReserve {
  /** Refuse to start when fewer daily API requests than this remain. */
  dailyApiRequests: number;
  /** Refuse to start a Bulk query when fewer daily Bulk query jobs than this remain. */
  dailyBulkQueryJobs?: number;
  /** Refuse to start a Bulk ingest when fewer daily Bulk batches than this remain. */
  dailyBulkBatches?: number;
}

/** How old the free `Sforce-Limit-Info` reading may be to stand in for a `/limits` call. */
export const USAGE_FRESH_MS = 60_000;

/**
 * Check the daily API request reserve from the last response's usage header when it is fresh (no API
 * call); otherwise read `/limits`. Returns whether `/limits` was called.
 */
export async function checkApiReserve(
  client: SalesforceClient,
  reserve: LimitReserve,
  observe?: (limits: Limits) => void,
): Promise<boolean> {
  const usage = client.apiUsage();
  if (usage && usage.ageMs < USAGE_FRESH_MS && client.lastResponseAgeMs() < USAGE_FRESH_MS) {
    const remaining = usage.max - usage.used;
    observe?.({ DailyApiRequests: { Max: usage.max, Remaining: remaining } });
    if (remaining < reserve.dailyApiRequests) {
      throw new RateLimitError(
        `Salesforce has ${remaining} of ${usage.max} daily API requests left, below the reserve of ${reserve.dailyApiRequests} this connector keeps for the org's other users. Wait for the rolling 24-hour window to free some, or lower the reserve in the configuration.`,
        { code: "LIMIT_RESERVE", field: "DailyApiRequests" },
      );
    }
    return false;
  }
  await checkLimitReserve(client, { dailyApiRequests: reserve.dailyApiRequests }, observe);
  return true;
}

/**
 * Read `/limits` and refuse heavy work when the org is close to a daily limit, so a sync never burns
 * the allowance that the org's own users and integrations need. `observe` sees the reading first, even
 * one below the reserve (the caller's metrics).
 */
export async function checkLimitReserve(
  client: SalesforceClient,
  reserve: LimitReserve,
  observe?: (limits: Limits) => void,
): Promise<Limits> {
  const limits = await getLimits(client);
  observe?.(limits);
  const checks: Array<[string, number | undefined, string]> = [
    ["DailyApiRequests", reserve.dailyApiRequests, "daily API requests"],
    ["DailyBulkV2QueryJobs", reserve.dailyBulkQueryJobs, "daily Bulk API 2.0 query jobs"],
    ["DailyBulkApiBatches", reserve.dailyBulkBatches, "daily Bulk API batches"],
  ];
  for (const [name, minimum, label] of checks) {
    const limit = limits[name];
    if (minimum === undefined || !limit) continue;
    if (limit.Remaining < minimum) {
      throw new RateLimitError(
        `Salesforce has ${limit.Remaining} of ${limit.Max} ${label} left, below the reserve of ${minimum} this connector keeps for the org's other users. Wait for the rolling 24-hour window to free some, or lower the reserve in the configuration.`,
        { code: "LIMIT_RESERVE", field: name },
      );
    }
  }
  return limits;
}
