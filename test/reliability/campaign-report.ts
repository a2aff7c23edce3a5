/**
 * What a campaign seed did and found: runs, faults the emulator fired (by action), crashes injected
 * (by action and moment), records the invariants compared, and every violation with the seed and round
 * that reproduce it. Reports of many seeds add up into one.
 */
import type { FiredFault } from "../../emulator/index";

export interface CampaignReport {
  seeds: number;
  runs: number;
  /** Executions that ended FAILED (allowed, as long as the next run repairs). */
  failedRuns: number;
  /** Faults the emulator fired, by action type. */
  faults: Record<string, number>;
  /** Crashes injected into handlers, by `<action> <before|after> <error name>`. */
  crashes: Record<string, number>;
  /** Changes the campaign made to the org, by kind (inserts, hard deletes, clock jumps, fields added…). */
  orgChanges: Record<string, number>;
  /** Record comparisons the invariants made (one per record per check). */
  recordsChecked: number;
  /** Current-state rows compared with the org formula fields included (after a run that read them whole). */
  formulaRowsChecked: number;
  /** Inbound rows whose outcome the load invariants accounted for. */
  rowsAccounted: number;
  /** What is wrong, each prefixed with where (`seed 7 round 2 Account: …`). */
  violations: string[];
}

export function emptyReport(): CampaignReport {
  return {
    seeds: 0,
    runs: 0,
    failedRuns: 0,
    faults: {},
    crashes: {},
    orgChanges: {},
    recordsChecked: 0,
    formulaRowsChecked: 0,
    rowsAccounted: 0,
    violations: [],
  };
}

export function countInto(counts: Record<string, number>, key: string, n = 1): void {
  counts[key] = (counts[key] ?? 0) + n;
}

export function addFired(report: CampaignReport, fired: readonly FiredFault[]): void {
  for (const fault of fired) countInto(report.faults, fault.action);
}

export function mergeReports(into: CampaignReport, from: CampaignReport): CampaignReport {
  into.seeds += from.seeds;
  into.runs += from.runs;
  into.failedRuns += from.failedRuns;
  into.recordsChecked += from.recordsChecked;
  into.formulaRowsChecked += from.formulaRowsChecked;
  for (const [key, n] of Object.entries(from.orgChanges)) countInto(into.orgChanges, key, n);
  into.rowsAccounted += from.rowsAccounted;
  for (const [key, n] of Object.entries(from.faults)) countInto(into.faults, key, n);
  for (const [key, n] of Object.entries(from.crashes)) countInto(into.crashes, key, n);
  into.violations.push(...from.violations);
  return into;
}

export function totalOf(counts: Record<string, number>): number {
  return Object.values(counts).reduce((sum, n) => sum + n, 0);
}

/** A few lines for a terminal or a test failure message. */
export function formatReport(name: string, report: CampaignReport): string {
  const sorted = (counts: Record<string, number>) =>
    Object.entries(counts)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, n]) => `${key}=${n}`)
      .join(", ") || "none";
  const lines = [
    `${name}: ${report.seeds} seeds, ${report.runs} runs (${report.failedRuns} failed and repaired later)`,
    `  faults fired (${totalOf(report.faults)}): ${sorted(report.faults)}`,
    `  crashes injected (${totalOf(report.crashes)}): ${sorted(report.crashes)}`,
    ...(totalOf(report.orgChanges) > 0
      ? [`  org changes (${totalOf(report.orgChanges)}): ${sorted(report.orgChanges)}`]
      : []),
    `  records checked: ${report.recordsChecked} (current-state rows with formula fields: ${report.formulaRowsChecked}), inbound rows accounted: ${report.rowsAccounted}`,
    `  violations: ${report.violations.length}`,
    ...report.violations.slice(0, 20).map((violation) => `    - ${violation}`),
  ];
  return lines.join("\n");
}
