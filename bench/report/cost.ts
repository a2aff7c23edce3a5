/**
 * The cost model: what a measured run used (Lambda time by function, Step Functions state transitions,
 * S3 requests, the bytes Athena's merge would scan) priced with AWS's public us-east-1 prices, and
 * scaled to 1,000,000 records. Pure arithmetic: the bench's cost phase (`bench/cost/run.ts`) measures
 * the usage, `test/bench/cost.test.ts` checks the sums.
 */

/** Public on-demand prices, us-east-1, as published in 2026-12 (bench/README.md says where from). */
export const PRICES = {
  region: "us-east-1",
  checked: "2026-12",
  /** Lambda duration per GB-second: Arm (Graviton, what the stack deploys) and x86. */
  lambdaGbSecondArm: 0.0000133334,
  lambdaGbSecondX86: 0.0000166667,
  lambdaPerMillionRequests: 0.2,
  /** Step Functions Standard, per 1,000 state transitions. */
  stepFunctionsPerThousandTransitions: 0.025,
  /** S3 Standard per 1,000 requests: PUT, COPY, POST, LIST; GET, SELECT and all other (DELETE is free). */
  s3PerThousandPut: 0.005,
  s3PerThousandGet: 0.0004,
  /** Athena (SQL) per TB scanned (10^12 bytes), rounded up to the MB, with 10 MB at least per query. */
  athenaPerTerabyte: 5,
  athenaMinimumBytesPerQuery: 10 * 1_000_000,
} as const;

export type Prices = typeof PRICES;

export type S3RequestClass = "put" | "get" | "free";

/**
 * The S3 price class of an SDK command: writes, copies, multipart steps and listings are billed as PUT,
 * reads and heads as GET; deletes and aborted multipart uploads are free.
 */
export function s3RequestClass(command: string): S3RequestClass {
  const name = command.replace(/Command$/, "");
  if (/^(Delete|AbortMultipartUpload)/.test(name)) return "free";
  if (/^(Put|Copy|Create|UploadPart|CompleteMultipartUpload|List)/.test(name)) return "put";
  return "get";
}

/** One function's invocations in a measured run. */
export interface LambdaUsage {
  function: string;
  memoryMb: number;
  invocations: number;
  /** Billed duration: each invocation's wall time rounded up to the millisecond, summed. */
  billedMs: number;
}

/** What one measured run used. */
export interface CostUsage {
  records: number;
  lambda: LambdaUsage[];
  stateTransitions: number;
  s3: { put: number; get: number; free: number };
  /** Athena queries the run's merge makes and the bytes each scans (estimated: see bench/README.md). */
  athena?: { queries: number; bytesPerQuery: number };
}

export interface CostLine {
  usd: number;
}

export interface CostFigures {
  /** Records the figures are for (1,000,000), and how many the measured run moved. */
  records: number;
  measuredRecords: number;
  /** records / measuredRecords: every count of the run multiplied by it (linear scaling). */
  scale: number;
  lambda: CostLine & {
    gbSeconds: number;
    requests: number;
    byFunction: Array<{
      function: string;
      memoryMb: number;
      invocations: number;
      gbSeconds: number;
      usd: number;
    }>;
    /** The same duration priced as x86 (the stack deploys Arm). */
    x86Usd: number;
  };
  stepFunctions: CostLine & { transitions: number };
  s3: CostLine & { put: number; get: number };
  athena?: CostLine & { queries: number; bytesPerQuery: number; bytesScanned: number };
  totalUsd: number;
}

/** Rounds dollars to a tenth of a micro-dollar, so sums print without float noise. */
function usd(value: number): number {
  return Math.round(value * 1e7) / 1e7;
}

/** Athena's billed bytes of one query: rounded up to the MB, at least the minimum. */
export function athenaBilledBytes(bytes: number, prices: Prices = PRICES): number {
  const megabytes = Math.ceil(bytes / 1_000_000) * 1_000_000;
  return Math.max(prices.athenaMinimumBytesPerQuery, megabytes);
}

/**
 * A measured run's usage priced and scaled linearly to `records` (default 1,000,000): counts and times
 * multiplied by records / measured records. A run's fixed part (discover, polls, commit, merge start)
 * scales with them, so from a small run the figures are an upper bound. Athena's per-query minimum is
 * applied to the scaled bytes of each query (one merge per run of `records`).
 */
export function costOf(usage: CostUsage, records = 1_000_000, prices: Prices = PRICES): CostFigures {
  if (usage.records <= 0) throw new Error(`a cost needs a run that moved records, not ${usage.records}`);
  const scale = records / usage.records;
  const byFunction = usage.lambda.map((fn) => {
    const gbSeconds = (fn.billedMs / 1000) * (fn.memoryMb / 1024) * scale;
    return {
      function: fn.function,
      memoryMb: fn.memoryMb,
      invocations: fn.invocations * scale,
      gbSeconds,
      usd: usd(
        gbSeconds * prices.lambdaGbSecondArm +
          ((fn.invocations * scale) / 1e6) * prices.lambdaPerMillionRequests,
      ),
    };
  });
  const gbSeconds = byFunction.reduce((sum, fn) => sum + fn.gbSeconds, 0);
  const requests = byFunction.reduce((sum, fn) => sum + fn.invocations, 0);
  const requestUsd = (requests / 1e6) * prices.lambdaPerMillionRequests;
  const lambda = {
    gbSeconds,
    requests,
    byFunction,
    usd: usd(gbSeconds * prices.lambdaGbSecondArm + requestUsd),
    x86Usd: usd(gbSeconds * prices.lambdaGbSecondX86 + requestUsd),
  };
  const transitions = usage.stateTransitions * scale;
  const stepFunctions = {
    transitions,
    usd: usd((transitions / 1000) * prices.stepFunctionsPerThousandTransitions),
  };
  const put = usage.s3.put * scale;
  const get = usage.s3.get * scale;
  const s3 = {
    put,
    get,
    usd: usd((put / 1000) * prices.s3PerThousandPut + (get / 1000) * prices.s3PerThousandGet),
  };
  let athena: CostFigures["athena"];
  if (usage.athena !== undefined) {
    const bytesPerQuery = usage.athena.bytesPerQuery * scale;
    const billed = athenaBilledBytes(bytesPerQuery, prices) * usage.athena.queries;
    athena = {
      queries: usage.athena.queries,
      bytesPerQuery,
      bytesScanned: bytesPerQuery * usage.athena.queries,
      usd: usd((billed / 1e12) * prices.athenaPerTerabyte),
    };
  }
  return {
    records,
    measuredRecords: usage.records,
    scale,
    lambda,
    stepFunctions,
    s3,
    ...(athena === undefined ? {} : { athena }),
    totalUsd: usd(lambda.usd + stepFunctions.usd + s3.usd + (athena?.usd ?? 0)),
  };
}
