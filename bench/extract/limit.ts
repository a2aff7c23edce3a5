/**
 * Extract *limit*: the same Bulk 2.0 query and the same result pages (same `maxRecords`) as the
 * connector, downloaded over HTTP and thrown away. Timed from the first results request to the last
 * byte of the last page; the job's processing in the emulator is not counted. The repetitions share
 * one job (a million-row job takes the emulator half a minute to materialize): the first creates it,
 * the others download it again, the last deletes it.
 */
import { performance } from "node:perf_hooks";
import type { EmulatorReady } from "../emulator/main";
import { peakRssMb, readJsonArgument, runMain } from "../process/child-io";
import { dataUrl, rawJson, rawLogin, send, waitForJob } from "../process/raw-salesforce";

export interface ExtractLimitRequest {
  emulator: EmulatorReady;
  soql: string;
  pageRecords: number;
  /** A finished job of the same query to download again; absent: create one. */
  jobId?: string;
  /** Leave the job for the next repetition instead of deleting it. */
  keepJob: boolean;
}

export interface ExtractLimitResult {
  jobId: string;
  records: number;
  csvBytes: number;
  pages: number;
  wallMs: number;
  cpuMs: number;
  peakRssMb: number;
}

async function main(): Promise<ExtractLimitResult> {
  const request = readJsonArgument<ExtractLimitRequest>();
  const session = await rawLogin(request.emulator);
  let job = request.jobId === undefined ? undefined : { id: request.jobId };
  if (job === undefined) {
    job = await rawJson<{ id: string }>(session, "POST", "jobs/query", {
      operation: "query",
      query: request.soql,
      contentType: "CSV",
      columnDelimiter: "COMMA",
      lineEnding: "LF",
    });
    const info = await waitForJob(session, `jobs/query/${job.id}`, ["UploadComplete", "InProgress"]);
    if (info.state !== "JobComplete") throw new Error(`query job ended ${String(info.state)}`);
  }
  const jobId = job.id;

  let records = 0;
  let csvBytes = 0;
  let pages = 0;
  let locator: string | undefined;
  const started = performance.now();
  const cpu = process.cpuUsage();
  do {
    const query = new URLSearchParams({ maxRecords: String(request.pageRecords) });
    if (locator !== undefined) query.set("locator", locator);
    const response = await send(dataUrl(session, `jobs/query/${jobId}/results?${query}`), {
      method: "GET",
      headers: { Authorization: `Bearer ${session.accessToken}`, Accept: "text/csv" },
    });
    if (response.status !== 200) throw new Error(`results page failed: ${response.status}`);
    for await (const chunk of response.body) csvBytes += (chunk as Buffer).length;
    records += Number(response.headers["sforce-numberofrecords"] ?? 0);
    pages += 1;
    const next = String(response.headers["sforce-locator"] ?? "null");
    locator = next === "null" ? undefined : next;
  } while (locator !== undefined);
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);

  if (!request.keepJob) await rawJson(session, "DELETE", `jobs/query/${jobId}`);
  return {
    jobId,
    records,
    csvBytes,
    pages,
    wallMs,
    cpuMs: (used.user + used.system) / 1000,
    peakRssMb: peakRssMb(),
  };
}

runMain(main);
