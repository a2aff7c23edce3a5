/**
 * The benchmark's emulator process: the demo org plus the bench object with `records` generated rows,
 * served on 127.0.0.1. It runs in its own process so that its CPU and memory (it materializes every
 * Bulk result in memory) are not counted as the connector's. Prints one JSON line (`EmulatorReady`)
 * on stdout, then serves until its stdin closes or it is sent SIGTERM.
 *
 *   node bench/.work/emulator.mjs '{"records":1000000}'
 */
import { startEmulator } from "../../emulator/index";
import { createDemoOrg } from "../../emulator/org/demo";
import { readJsonArgument, waitForShutdown, writeReady } from "../process/child-io";
import { BENCH_OBJECT, benchFields } from "./bench-object";

export interface EmulatorRequest {
  records: number;
  seed?: number;
  /**
   * How long a closed Bulk job waits before the emulator processes it. The load benchmark stops at
   * UploadComplete, so its emulator never processes ingest jobs (which would steal the CPU from the
   * next measurement); the jobs are aborted afterwards.
   */
  queuedMs?: number;
}

export interface EmulatorReady {
  url: string;
  object: string;
  records: number;
  credentials: {
    clientId: string;
    clientSecret: string;
    username: string;
    password: string;
    securityToken: string;
    loginUrl: string;
  };
}

const request = readJsonArgument<EmulatorRequest>();
const seed = request.seed ?? 1;
const org = createDemoOrg({ seed });
org.addObject({ name: BENCH_OBJECT, label: "Bench Account", fields: benchFields() });
// Timestamps end a day ago: the extract's window ends a lag before "now" and must hold every row.
org.generate(BENCH_OBJECT, request.records, { to: Date.now() - 86_400_000 });
const emulator = await startEmulator({
  org,
  seed,
  // The benchmark spends far more calls than a day of a small org would allow.
  limits: { DailyApiRequests: 100_000_000 },
  bulk: { queuedMs: request.queuedMs ?? 50 },
});
const ready: EmulatorReady = {
  url: emulator.url,
  object: BENCH_OBJECT,
  records: org.count(BENCH_OBJECT),
  credentials: emulator.credentials,
};
writeReady(ready);
await waitForShutdown();
await emulator.stop();
