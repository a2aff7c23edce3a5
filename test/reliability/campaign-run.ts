/**
 * Runs a campaign over many seeds, a few at a time (each seed has its own emulator and local AWS, so
 * seeds are independent), and adds their reports up. `npm test` runs small campaigns through the
 * test files; `npm run chaos` (chaos.ts) runs big ones.
 */
import { runLoadSeed } from "./campaign-load";
import { type CampaignReport, emptyReport, mergeReports } from "./campaign-report";
import { runSyncSeed } from "./campaign-sync";

export const CAMPAIGNS = ["sync", "sync-crash", "load", "load-crash"] as const;
export type CampaignName = (typeof CAMPAIGNS)[number];

export interface CampaignOptions {
  /** Sync: rounds of changes and faulty runs before the repair run. */
  rounds: number;
  /** Load: files per seed. */
  files: number;
  /** Seeds run at once. */
  concurrency: number;
  progress?: (line: string) => void;
  /** Called as each seed finishes. */
  onSeed?: (seed: number, report: CampaignReport) => void;
}

export function runSeed(name: CampaignName, seed: number, options: CampaignOptions): Promise<CampaignReport> {
  const progress = options.progress ? { progress: options.progress } : {};
  switch (name) {
    case "sync":
      return runSyncSeed({ seed, rounds: options.rounds, faults: true, crashes: false, ...progress });
    case "sync-crash":
      return runSyncSeed({ seed, rounds: options.rounds, faults: true, crashes: true, ...progress });
    case "load":
      return runLoadSeed({ seed, files: options.files, faults: true, crashes: false, ...progress });
    case "load-crash":
      return runLoadSeed({ seed, files: options.files, faults: true, crashes: true, ...progress });
  }
}

/** Every seed of `seeds`, `concurrency` at a time; a seed that throws is a violation, not an abort. */
export async function runCampaign(
  name: CampaignName,
  seeds: readonly number[],
  options: CampaignOptions,
): Promise<CampaignReport> {
  const total = emptyReport();
  let next = 0;
  const worker = async () => {
    while (next < seeds.length) {
      const seed = seeds[next++] as number;
      let report: CampaignReport;
      try {
        report = await runSeed(name, seed, options);
      } catch (error) {
        report = emptyReport();
        report.seeds = 1;
        report.violations.push(`${name} seed ${seed}: the campaign itself failed: ${(error as Error).stack}`);
      }
      mergeReports(total, report);
      options.onSeed?.(seed, report);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  return total;
}

export function seedRange(first: number, count: number): number[] {
  return Array.from({ length: count }, (_, index) => first + index);
}
