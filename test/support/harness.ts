// test/: tests, mirroring the source folders
import { type Emulator, type EmulatorOptions, startEmulator } from "../../emulator/index";
import { createDemoOrg } from "../../emulator/org/demo";
import type { Runtime } from "../../functions/runtime/runtime";
import { clearSessionCache } from "../../functions/salesforce/client";
import { type LocalEnvironment, startLocalEnvironment } from "../../local/environment";
import { memoryLog } from "./memory-log";

export interface Harness {
  emulator: Emulator;
  env: LocalEnvironment;
  runtime: Runtime;
  log: ReturnType<typeof memoryLog>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  emulator?: EmulatorOptions;
  /** Connection settings (defaults suit tests: no lag, no lookback unless asked). */
  settings?: Record<string, unknown>;
  /** Override the credentials stored in the secret (default: the emulator's demo user). */
  credentials?: (emulator: Emulator) => Record<string, unknown>;
}

/**
 * The emulator, the embedded AWS services and a runtime wired to them, as a Lambda would see them.
 * Every test that starts one stops it.
 */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  clearSessionCache();
  const emulator = await startEmulator({
    port: 0,
    bulk: { queuedMs: 5, processingMsPer10k: 5 },
    ...options.emulator,
  });
  const log = memoryLog();
  try {
    const env = await startLocalEnvironment({
      connection: "test",
      credentials: options.credentials?.(emulator) ?? { ...emulator.credentials, loginUrl: emulator.url },
      settings: { lagSeconds: 0, lookbackSeconds: 0, ...options.settings },
      log,
    });
    return {
      emulator,
      env,
      runtime: env.runtime,
      log,
      async stop() {
        await env.stop();
        await emulator.stop();
        clearSessionCache();
      },
    };
  } catch (error) {
    await emulator.stop();
    throw error;
  }
}

/** A harness over the seeded demo org (seed 11) whose clock is frozen at `now`. */
export function startDemoHarness(now: number, options: HarnessOptions = {}): Promise<Harness> {
  const org = createDemoOrg({ seed: 11, now });
  org.clock.set(now, { frozen: true });
  return startHarness({ ...options, emulator: { org, ...options.emulator } });
}
