/**
 * Load *limit*: the inbound file's bytes streamed from S3 straight into Bulk 2.0 ingest uploads —
 * split at row boundaries into jobs of at most `jobMaxBytes` (the header repeated), each created,
 * uploaded and closed — with no parsing, validation or rewriting. Timed from the first request to the
 * last job's UploadComplete; the jobs are deleted afterwards (calls not charged to it).
 */
import http from "node:http";
import { performance } from "node:perf_hooks";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { createAwsClients } from "../../functions/aws/clients";
import type { EmulatorReady } from "../emulator/main";
import { peakRssMb, readJsonArgument, runMain } from "../process/child-io";
import { dataUrl, type RawSession, rawJson, rawLogin } from "../process/raw-salesforce";

export interface LoadLimitRequest {
  emulator: EmulatorReady;
  bucket: string;
  key: string;
  object: string;
  externalIdField: string;
  jobMaxBytes: number;
}

export interface LoadLimitResult {
  records: number;
  bytes: number;
  jobs: number;
  wallMs: number;
  cpuMs: number;
  peakRssMb: number;
  cleanupCalls: number;
}

const LF = 0x0a;
const QUOTE = 0x22;

/** One job's upload in progress: a chunked PUT whose body is written as the file streams in. */
class JobUpload {
  private readonly request: http.ClientRequest;
  private readonly answered: Promise<number>;
  bytes = 0;

  constructor(
    readonly id: string,
    session: RawSession,
  ) {
    let resolveStatus: (status: number) => void = () => undefined;
    let rejectStatus: (error: Error) => void = () => undefined;
    this.answered = new Promise((resolve, reject) => {
      resolveStatus = resolve;
      rejectStatus = reject;
    });
    this.request = http.request(dataUrl(session, `jobs/ingest/${id}/batches`), {
      method: "PUT",
      headers: { Authorization: `Bearer ${session.accessToken}`, "Content-Type": "text/csv" },
    });
    this.request.on("response", (response) => {
      response.resume();
      resolveStatus(response.statusCode ?? 0);
    });
    this.request.on("error", rejectStatus);
  }

  async write(bytes: Uint8Array): Promise<void> {
    this.bytes += bytes.length;
    if (!this.request.write(bytes)) await new Promise((resolve) => this.request.once("drain", resolve));
  }

  async finish(): Promise<void> {
    this.request.end();
    const status = await this.answered;
    if (status !== 201) throw new Error(`upload of job ${this.id} answered ${status}`);
  }
}

async function main(): Promise<LoadLimitResult> {
  const request = readJsonArgument<LoadLimitRequest>();
  const session = await rawLogin(request.emulator);
  const { s3 } = createAwsClients();
  const jobIds: string[] = [];
  let records = 0;
  let bytes = 0;

  const started = performance.now();
  const cpu = process.cpuUsage();
  const object = await s3.send(new GetObjectCommand({ Bucket: request.bucket, Key: request.key }));
  const body = object.Body as AsyncIterable<Uint8Array>;
  const openJob = async (): Promise<JobUpload> => {
    const job = await rawJson<{ id: string }>(session, "POST", "jobs/ingest", {
      object: request.object,
      operation: "upsert",
      externalIdFieldName: request.externalIdField,
      contentType: "CSV",
      lineEnding: "LF",
    });
    jobIds.push(job.id);
    return new JobUpload(job.id, session);
  };
  const closeJob = async (job: JobUpload): Promise<void> => {
    await job.finish();
    await rawJson(session, "PATCH", `jobs/ingest/${job.id}`, { state: "UploadComplete" });
  };

  let header: Uint8Array | undefined;
  let pending: Buffer = Buffer.alloc(0);
  let inQuotes = false;
  let job: JobUpload | undefined;
  const writeRows = async (rows: Uint8Array): Promise<void> => {
    if (rows.length === 0) return;
    if (job !== undefined && job.bytes + rows.length > request.jobMaxBytes) {
      await closeJob(job);
      job = undefined;
    }
    job ??= await openJob();
    if (job.bytes === 0) await job.write(header as Uint8Array);
    await job.write(rows);
  };
  for await (const chunk of body) {
    bytes += chunk.length;
    // The partial row carried from the last chunk was scanned already; scanning goes on after it.
    const piece = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const data = pending.length === 0 ? piece : Buffer.concat([pending, piece]);
    let from = 0;
    let i = pending.length;
    if (header === undefined) {
      const end = data.indexOf(LF);
      if (end === -1) {
        pending = data;
        continue;
      }
      header = data.subarray(0, end + 1);
      from = end + 1;
      i = from;
    }
    // Rows go out in runs that fit the current job; a job ends only at a row end.
    let runStart = from;
    let lastRowEnd = from - 1;
    for (; i < data.length; i++) {
      const b = data[i];
      if (b === QUOTE) inQuotes = !inQuotes;
      else if (b === LF && !inQuotes) {
        records += 1;
        if (
          job !== undefined &&
          job.bytes + (i + 1 - runStart) > request.jobMaxBytes &&
          lastRowEnd >= runStart
        ) {
          await writeRows(data.subarray(runStart, lastRowEnd + 1));
          runStart = lastRowEnd + 1;
        }
        lastRowEnd = i;
      }
    }
    await writeRows(data.subarray(runStart, lastRowEnd + 1));
    pending = data.subarray(lastRowEnd + 1);
  }
  if (pending.length > 0) throw new Error("the file does not end with a line break");
  if (job !== undefined) await closeJob(job);
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const peak = peakRssMb();

  for (const id of jobIds) await rawJson(session, "DELETE", `jobs/ingest/${id}`);
  s3.destroy();
  return {
    records,
    bytes,
    jobs: jobIds.length,
    wallMs,
    cpuMs: (used.user + used.system) / 1000,
    peakRssMb: peak,
    cleanupCalls: jobIds.length,
  };
}

runMain(main);
