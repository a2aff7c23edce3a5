/**
 * `npm run chaos`: the reliability campaigns of `npm test` at a size for a long run, with a report of
 * what they injected and checked. Settings from the environment:
 *
 *   CHAOS_SEEDS        seeds per campaign (default 200)
 *   CHAOS_FIRST_SEED   first seed (default 1000; `npm test` uses seeds below 400)
 *   CHAOS_CAMPAIGNS    comma-separated: sync, sync-crash, load, load-crash (default all)
 *   CHAOS_ROUNDS       sync rounds of changes and faulty runs before the repair run (default 4)
 *   CHAOS_FILES        inbound files per load seed (default 4)
 *   CHAOS_CONCURRENCY  seeds run at once (default 2)
 *   CHAOS_VERBOSE=1    a line per run, not only per seed
 *
 * A violation names its campaign and seed: `CHAOS_CAMPAIGNS=sync CHAOS_FIRST_SEED=1234 CHAOS_SEEDS=1
 * CHAOS_VERBOSE=1 npm run chaos` replays it. Exits 1 when any invariant broke.
 */

import { formatReport, totalOf } from "./campaign-report";
import { CAMPAIGNS, type CampaignName, runCampaign, seedRange } from "./campaign-run";

function numberFrom(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0)
    throw new RangeError(`${name} must be a whole number, got ${raw}`);
  return value;
}

const seeds = numberFrom("CHAOS_SEEDS", 200);
const first = numberFrom("CHAOS_FIRST_SEED", 1000);
const rounds = numberFrom("CHAOS_ROUNDS", 4);
const files = numberFrom("CHAOS_FILES", 4);
const concurrency = numberFrom("CHAOS_CONCURRENCY", 2);
const verbose = process.env.CHAOS_VERBOSE === "1";
const requested = (process.env.CHAOS_CAMPAIGNS ?? CAMPAIGNS.join(","))
  .split(",")
  .map((name) => name.trim())
  .filter((name) => name !== "");
const unknown = requested.filter((name) => !(CAMPAIGNS as readonly string[]).includes(name));
if (unknown.length > 0) {
  process.stderr.write(`Unknown campaign ${unknown.join(", ")}: choose from ${CAMPAIGNS.join(", ")}.\n`);
  process.exit(2);
}

let broken = 0;
const reports: string[] = [];
for (const name of requested as CampaignName[]) {
  const started = performance.now();
  let done = 0;
  process.stdout.write(`${name}: seeds ${first} to ${first + seeds - 1}, ${concurrency} at a time\n`);
  const report = await runCampaign(name, seedRange(first, seeds), {
    rounds,
    files,
    concurrency,
    ...(verbose ? { progress: (line: string) => process.stdout.write(`  ${line}\n`) } : {}),
    onSeed: (seed, seedReport) => {
      done += 1;
      const faults = totalOf(seedReport.faults);
      const crashes = totalOf(seedReport.crashes);
      process.stdout.write(
        `  [${done}/${seeds}] ${name} seed ${seed}: ${seedReport.runs} runs, ${faults} faults, ${crashes} crashes, ${seedReport.violations.length} violations\n`,
      );
      for (const violation of seedReport.violations) process.stdout.write(`    ! ${violation}\n`);
    },
  });
  broken += report.violations.length;
  const seconds = Math.round((performance.now() - started) / 1000);
  reports.push(`${formatReport(name, report)}\n  time: ${seconds} s`);
}
process.stdout.write(`\n${reports.join("\n\n")}\n`);
process.exit(broken > 0 ? 1 : 0);
