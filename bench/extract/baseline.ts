/**
 * Extract *naive baseline*: what a quick integration does — jsforce's Bulk 2.0 query, every record
 * collected into an array, serialized to JSON, written with one PutObject.
 *
 * `conn.bulk2.query(soql)` is unrolled: the job is created and polled with jsforce's `QueryJobV2`
 * (`open`, `poll`), as `bulk2.query` does, but the result pages are fetched here, at Salesforce's
 * default page size, and parsed with jsforce's own CSV parser. jsforce 3.10's `QueryJobV2.result()`
 * pipes every page into one parser and breaks as soon as a result has a second page (csv-parse fails
 * with "Invalid Closing Quote" at 50,001 rows), and it also reads each page whole into one string,
 * which a single-page million-row result would not fit in. The data path is timed from the job's
 * completion to the end of the PutObject, as the connector's is. The JSON is built as one Buffer of
 * per-record texts: a million records make more text than V8's longest string, so
 * `JSON.stringify(records)` itself throws there.
 */
import { performance } from "node:perf_hooks";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { Connection, OAuth2 } from "jsforce";
import { QueryJobV2 } from "jsforce/lib/api/bulk2";
import { parseCSV } from "jsforce/lib/csv";
import { createAwsClients } from "../../functions/aws/clients";
import type { LocalAwsReady } from "../aws/main";
import type { EmulatorReady } from "../emulator/main";
import { peakRssMb, readJsonArgument, runMain } from "../process/child-io";

export interface ExtractBaselineRequest {
  aws: LocalAwsReady;
  emulator: EmulatorReady;
  soql: string;
  key: string;
  apiVersion: string;
}

export interface ExtractBaselineResult {
  records: number;
  bytes: number;
  wallMs: number;
  cpuMs: number;
  /** Create to PutObject done, the job's processing included. */
  totalMs: number;
  peakRssMb: number;
  /** Calls made after the measurement (deleting the job jsforce leaves behind), not charged to it. */
  cleanupCalls: number;
}

async function main(): Promise<ExtractBaselineResult> {
  const request = readJsonArgument<ExtractBaselineRequest>();
  const c = request.emulator.credentials;
  const conn = new Connection({
    oauth2: new OAuth2({ loginUrl: c.loginUrl, clientId: c.clientId, clientSecret: c.clientSecret }),
    loginUrl: c.loginUrl,
    version: request.apiVersion,
  });
  await conn.login(c.username, c.password + c.securityToken);
  // A million-row job takes longer than jsforce's default 30 s polling timeout.
  conn.bulk2.pollTimeout = 30 * 60_000;

  const began = performance.now();
  const job = new QueryJobV2(conn, {
    bodyParams: { query: request.soql, operation: "query" },
    pollingOptions: conn.bulk2,
  });
  await job.open();
  await job.poll();
  const started = performance.now();
  const cpu = process.cpuUsage();
  const records: Array<Record<string, unknown>> = [];
  const resultsUrl = `${conn.instanceUrl}/services/data/v${request.apiVersion}/jobs/query/${job.id}/results`;
  let locator: string | null = null;
  do {
    const response = await fetch(locator === null ? resultsUrl : `${resultsUrl}?locator=${locator}`, {
      headers: { Authorization: `Bearer ${conn.accessToken}`, Accept: "text/csv" },
    });
    if (!response.ok) throw new Error(`results page failed: ${response.status}`);
    for (const record of parseCSV(await response.text())) records.push(record as Record<string, unknown>);
    const next = response.headers.get("sforce-locator");
    locator = next === null || next === "null" ? null : next;
  } while (locator !== null);
  const parts: Buffer[] = [Buffer.from("[")];
  records.forEach((record, index) => {
    parts.push(Buffer.from(`${index === 0 ? "" : ","}${JSON.stringify(record)}`));
  });
  parts.push(Buffer.from("]"));
  const body = Buffer.concat(parts);
  const { s3 } = createAwsClients({ region: request.aws.region });
  await s3.send(
    new PutObjectCommand({
      Bucket: request.aws.bucket,
      Key: request.key,
      Body: body,
      ContentType: "application/json",
    }),
  );
  const ended = performance.now();
  const used = process.cpuUsage(cpu);
  s3.destroy();
  // jsforce leaves a finished job in place; the emulator would keep its whole result in memory.
  await job.delete();
  return {
    records: records.length,
    bytes: body.length,
    wallMs: ended - started,
    cpuMs: (used.user + used.system) / 1000,
    totalMs: ended - began,
    peakRssMb: peakRssMb(),
    cleanupCalls: 1,
  };
}

runMain(main);
