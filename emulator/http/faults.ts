/**
 * Fault injection: rules that match requests (by route kind, method, path) and make them fail the
 * way a real org or network does. Which occurrences fire is deterministic: `after`/`times` count
 * matching requests, and `rate` draws from a PRNG seeded by the emulator seed and the rule id.
 */
import { EmulatorInputError } from "../errors";
import { hashString, type Random, seededRandom } from "./prng";
import { isRouteKind, type RouteKind } from "./route-kind";

export type BulkJobType = "query" | "ingest";

export type FaultAction =
  /** 503 with `[{"errorCode":"SERVER_UNAVAILABLE"}]`. */
  | { type: "serverUnavailable" }
  /** A bare 5xx (default 500) with an empty body, as a load balancer sends. */
  | { type: "serverError"; status?: number }
  /** 403 `REQUEST_LIMIT_EXCEEDED`. */
  | { type: "requestLimitExceeded" }
  /** 401 `INVALID_SESSION_ID`; the token used stops working. */
  | { type: "invalidSession" }
  /** Status, headers and the first `afterBytes` of the body (default: half), then the socket is destroyed. */
  | { type: "dropConnection"; afterBytes?: number }
  /** Wait, then serve the request normally. */
  | { type: "delay"; ms: number }
  /**
   * The next Bulk job of that type ends `Failed` with `errorMessage`: a query job created from now on,
   * or an ingest job when its processing starts (after `afterBatches` batches of 10,000, default 0).
   * `job` defaults to the matched kind's API (bulkIngest* → ingest, else query).
   */
  | { type: "failJob"; job?: BulkJobType; errorMessage?: string; afterBatches?: number }
  /** `org.lockRows(ids, times)`: DML on those rows fails with UNABLE_TO_LOCK_ROW; then served normally. */
  | { type: "lockRows"; ids: string[]; times?: number };

export interface FaultRule {
  /** Given or assigned (`fault-1`, `fault-2`, …). */
  id?: string;
  kind?: RouteKind | RouteKind[];
  method?: string;
  /** Regular expression tested against the path (no query string). */
  path?: string | RegExp;
  /** Skip the first `after` matching requests. */
  after?: number;
  /** Fire at most this many times (default 1, or unlimited when `rate` is given). */
  times?: number;
  /** Probability 0..1 that an eligible matching request fires. */
  rate?: number;
  action: FaultAction;
}

export interface FiredFault {
  ruleId: string;
  action: FaultAction["type"];
  kind: RouteKind;
  method: string;
  path: string;
  /** 1-based position among all fired faults. */
  sequence: number;
}

export interface FaultController {
  /** Adds a rule and returns its id. */
  add(rule: FaultRule): string;
  remove(id: string): boolean;
  /** Removes every rule (what fired stays listed until `clearFired`). */
  clear(): void;
  rules(): FaultRule[];
  /** What was injected, in order. */
  fired(): FiredFault[];
  clearFired(): void;
}

export interface PendingJobFailure {
  errorMessage: string | undefined;
  afterBatches: number;
}

interface ActiveRule {
  rule: FaultRule & { id: string };
  kinds: Set<RouteKind> | undefined;
  method: string | undefined;
  path: RegExp | undefined;
  after: number;
  times: number;
  random: Random;
  seen: number;
  firedCount: number;
}

const TERMINAL: ReadonlySet<FaultAction["type"]> = new Set([
  "serverUnavailable",
  "serverError",
  "requestLimitExceeded",
  "invalidSession",
  "dropConnection",
]);

export class Faults implements FaultController {
  private active: ActiveRule[] = [];
  private firedList: FiredFault[] = [];
  private nextId = 1;
  private readonly pendingJobs: Record<BulkJobType, PendingJobFailure[]> = { query: [], ingest: [] };

  constructor(
    private readonly seed: number,
    private readonly lockRows: (ids: string[], times: number | undefined) => void,
  ) {}

  add(rule: FaultRule): string {
    const id = rule.id ?? `fault-${this.nextId++}`;
    const active = compile({ ...rule, id }, this.seed);
    this.active = this.active.filter((r) => r.rule.id !== id);
    this.active.push(active);
    return id;
  }

  remove(id: string): boolean {
    const before = this.active.length;
    this.active = this.active.filter((r) => r.rule.id !== id);
    return this.active.length !== before;
  }

  clear(): void {
    this.active = [];
    this.pendingJobs.query = [];
    this.pendingJobs.ingest = [];
  }

  rules(): FaultRule[] {
    return this.active.map((r) => r.rule);
  }

  fired(): FiredFault[] {
    return [...this.firedList];
  }

  clearFired(): void {
    this.firedList = [];
  }

  /**
   * Evaluates the rules for one request. Side-effect actions (delay, failJob, lockRows) all apply;
   * the first terminal action ends the evaluation and is returned for the server to perform.
   */
  evaluate(kind: RouteKind, method: string, path: string): { delayMs: number; terminal?: FaultAction } {
    let delayMs = 0;
    for (const rule of this.active) {
      if (!matches(rule, kind, method, path)) continue;
      rule.seen += 1;
      if (rule.seen <= rule.after || rule.firedCount >= rule.times) continue;
      if (rule.rule.rate !== undefined && rule.random() >= rule.rule.rate) continue;
      rule.firedCount += 1;
      const action = rule.rule.action;
      this.firedList.push({
        ruleId: rule.rule.id,
        action: action.type,
        kind,
        method,
        path,
        sequence: this.firedList.length + 1,
      });
      if (TERMINAL.has(action.type)) return { delayMs, terminal: action };
      if (action.type === "delay") delayMs += action.ms;
      else if (action.type === "lockRows") this.lockRows(action.ids, action.times);
      else if (action.type === "failJob") {
        const job = action.job ?? (kind.startsWith("bulkIngest") ? "ingest" : "query");
        this.pendingJobs[job].push({
          errorMessage: action.errorMessage,
          afterBatches: action.afterBatches ?? 0,
        });
      }
    }
    return { delayMs };
  }

  /** The failure armed for the next job of this type, consumed by the caller. */
  takeJobFailure(job: BulkJobType): PendingJobFailure | undefined {
    return this.pendingJobs[job].shift();
  }
}

function matches(rule: ActiveRule, kind: RouteKind, method: string, path: string): boolean {
  if (rule.kinds !== undefined && !rule.kinds.has(kind)) return false;
  if (rule.method !== undefined && rule.method !== method) return false;
  if (rule.path !== undefined && !rule.path.test(path)) return false;
  return true;
}

function compile(rule: FaultRule & { id: string }, seed: number): ActiveRule {
  const kinds = rule.kind === undefined ? undefined : Array.isArray(rule.kind) ? rule.kind : [rule.kind];
  for (const kind of kinds ?? []) {
    if (!isRouteKind(kind))
      throw new EmulatorInputError(`Fault rule ${rule.id}: unknown route kind '${kind}'.`);
  }
  if (rule.rate !== undefined && !(rule.rate >= 0 && rule.rate <= 1)) {
    throw new EmulatorInputError(`Fault rule ${rule.id}: rate must be between 0 and 1.`);
  }
  for (const key of ["after", "times"] as const) {
    const value = rule[key];
    if (value !== undefined && !(Number.isInteger(value) && value >= 0)) {
      throw new EmulatorInputError(`Fault rule ${rule.id}: ${key} must be a whole number >= 0.`);
    }
  }
  validateAction(rule.id, rule.action);
  return {
    rule,
    kinds: kinds === undefined ? undefined : new Set(kinds),
    method: rule.method?.toUpperCase(),
    path:
      rule.path === undefined ? undefined : typeof rule.path === "string" ? new RegExp(rule.path) : rule.path,
    after: rule.after ?? 0,
    times: rule.times ?? (rule.rate === undefined ? 1 : Number.POSITIVE_INFINITY),
    random: seededRandom(hashString(rule.id, seed)),
    seen: 0,
    firedCount: 0,
  };
}

function validateAction(id: string, action: FaultAction | undefined): void {
  const invalid = (why: string): EmulatorInputError => new EmulatorInputError(`Fault rule ${id}: ${why}.`);
  if (action === undefined || typeof action !== "object") throw invalid("an action is required");
  switch (action.type) {
    case "serverUnavailable":
    case "requestLimitExceeded":
    case "invalidSession":
      return;
    case "serverError":
      if (action.status !== undefined && !(action.status >= 500 && action.status <= 599)) {
        throw invalid("serverError status must be 5xx");
      }
      return;
    case "dropConnection":
      if (action.afterBytes !== undefined && !(action.afterBytes >= 0))
        throw invalid("afterBytes must be >= 0");
      return;
    case "delay":
      if (!(action.ms >= 0)) throw invalid("delay ms must be >= 0");
      return;
    case "failJob":
      if (action.job !== undefined && action.job !== "query" && action.job !== "ingest") {
        throw invalid("failJob job must be 'query' or 'ingest'");
      }
      return;
    case "lockRows":
      if (!Array.isArray(action.ids)) throw invalid("lockRows needs ids");
      return;
    default:
      throw invalid(`unknown action type '${(action as { type: unknown }).type}'`);
  }
}
