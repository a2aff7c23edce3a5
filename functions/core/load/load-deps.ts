import type { SalesforceClient } from "../../salesforce/client";
import type { LimitReserve } from "../../salesforce/limits";
import type { FieldRules } from "../column-controls";
import type { LakeEngine } from "../lake/lake-engine";
import type { Layout } from "../layout";
import type { Log, Metrics, ObjectStore, StateStore } from "../ports";
import type { LoadSettings } from "../settings";

/** What the load actions work with; the handler builds it from the runtime. */
export interface LoadDeps {
  /** The Salesforce client (created on first use: claim and finish never need it). */
  salesforce: () => Promise<SalesforceClient>;
  /** The connection's bucket: results and the run's working files go here. */
  store: ObjectStore;
  /** The bucket an inbound file sits in (usually the connection's own). */
  storeFor: (bucket: string) => ObjectStore;
  state: StateStore;
  layout: Layout;
  settings: LoadSettings;
  /** The connection's `blockFields`: a file naming a blocked field is rejected whole. */
  blockFields?: FieldRules;
  reserve: LimitReserve;
  log: Log;
  /** The load's figures for CloudWatch (none: not published). */
  metrics?: Metrics;
  /**
   * The connection's lake, for comparing rows with current values (skipUnchanged, dry runs): its state
   * items are under `connection`; `engine` is built on first use. None: the org is asked instead.
   */
  lake?: { connection: string; engine: () => Promise<LakeEngine> };
  /** Local clock (epoch ms). */
  now?: () => number;
  /** Stop starting new work when less than this much of the invocation's time is left. */
  safetyMarginMs?: number;
}

export const DEFAULT_SAFETY_MARGIN_MS = 60_000;

export function nowOf(deps: LoadDeps): number {
  return (deps.now ?? Date.now)();
}

export function isoNow(deps: LoadDeps): string {
  return new Date(nowOf(deps)).toISOString();
}
