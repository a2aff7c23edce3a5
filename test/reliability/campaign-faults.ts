/**
 * Fault plans: the emulator rules a campaign round installs, drawn from the seed. Each rule hits one or
 * more request kinds after a few matching requests, a few times or at a rate, with one of the failures a
 * real org or network produces: 5xx, REQUEST_LIMIT_EXCEEDED, an expired session, a connection dropped
 * part-way through a response body, a slow response, a Bulk job that ends Failed, locked rows.
 */
import type { FaultAction, FaultRule, RouteKind } from "../../emulator/index";
import type { Random } from "./campaign-random";

/** What a sync talks to: login, describes, REST query pages, the Bulk query job's life. */
const SYNC_KINDS: RouteKind[] = [
  "oauth",
  "describeGlobal",
  "composite",
  "limits",
  "query",
  "queryMore",
  "bulkQueryCreate",
  "bulkQueryPoll",
  "bulkQueryResults",
  "bulkQueryDelete",
  "bulkQueryAbort",
];

/** What a load talks to: describes, collections, the Bulk ingest job's life and its result files. */
const LOAD_KINDS: RouteKind[] = [
  "oauth",
  "describe",
  "limits",
  "collections",
  "bulkIngestCreate",
  "bulkIngestUpload",
  "bulkIngestClose",
  "bulkIngestPoll",
  "bulkIngestResults",
  "bulkIngestDelete",
];

/** Responses whose body is long enough to be cut in the middle of a page or file. */
const BODY_KINDS = new Set<RouteKind>(["query", "queryMore", "bulkQueryResults", "bulkIngestResults"]);

function actionFor(random: Random, kind: RouteKind, lockable: readonly string[]): FaultAction {
  if (kind === "oauth") {
    return random.pick<FaultAction>([
      { type: "serverUnavailable" },
      { type: "serverError", status: 502 },
      { type: "dropConnection" },
      { type: "delay", ms: random.int(5, 40) },
    ]);
  }
  const choices: FaultAction[] = [
    { type: "serverUnavailable" },
    { type: "serverError", status: random.pick([500, 502, 503, 504]) },
    { type: "requestLimitExceeded" },
    { type: "invalidSession" },
    { type: "dropConnection", ...(BODY_KINDS.has(kind) ? { afterBytes: random.int(1, 600) } : {}) },
    { type: "delay", ms: random.int(5, 60) },
  ];
  if (kind === "bulkQueryCreate") {
    choices.push({ type: "failJob", job: "query", errorMessage: "InternalServerError: chaos" });
  }
  if (kind === "bulkIngestCreate" || kind === "bulkIngestClose") {
    choices.push({
      type: "failJob",
      job: "ingest",
      afterBatches: 0,
      errorMessage: "InternalServerError: chaos",
    });
  }
  if ((kind === "collections" || kind === "bulkIngestClose") && lockable.length > 0) {
    const ids = lockable.filter(() => random.chance(0.3)).slice(0, 5);
    if (ids.length > 0) choices.push({ type: "lockRows", ids, times: random.int(1, 2) });
  }
  return random.pick(choices);
}

function rulesFor(
  random: Random,
  tag: string,
  kinds: readonly RouteKind[],
  lockable: readonly string[],
): FaultRule[] {
  const rules: FaultRule[] = [];
  const count = random.int(3, 6);
  for (let index = 0; index < count; index++) {
    const kind = random.pick(kinds);
    const rule: FaultRule = {
      id: `${tag}-${index}`,
      kind,
      after: random.chance(0.7) ? random.int(0, 1) : random.int(2, 6),
      action: actionFor(random, kind, lockable),
    };
    if (random.chance(0.5)) rule.times = random.int(1, 3);
    else {
      rule.rate = random.pick([0.2, 0.4, 0.6]);
      // Up to more failures than a step's retries allow, so some runs fail and the next must repair.
      rule.times = random.int(2, 8);
    }
    rules.push(rule);
  }
  return rules;
}

export function syncFaultRules(random: Random, tag: string): FaultRule[] {
  return rulesFor(random, tag, SYNC_KINDS, []);
}

/** `lockable`: Ids the file updates, which a lockRows fault may lock (UNABLE_TO_LOCK_ROW). */
export function loadFaultRules(random: Random, tag: string, lockable: readonly string[] = []): FaultRule[] {
  return rulesFor(random, tag, LOAD_KINDS, lockable);
}

export function describeRule(rule: FaultRule): string {
  const when = `${rule.after ? `after ${rule.after} ` : ""}${rule.rate ? `at ${rule.rate} ` : ""}${rule.times ?? 1}x`;
  return `${String(rule.kind)} ${rule.action.type} ${when}`;
}
