/**
 * The campaign test files' common shape: seeds in small groups (one test each, so a failure names its
 * seeds), then one test over the whole campaign that shows it really exercised what it claims to.
 */
import { expect, it } from "vitest";
import { type CampaignReport, emptyReport, formatReport, mergeReports } from "./campaign-report";
import { type CampaignName, type CampaignOptions, runCampaign, seedRange } from "./campaign-run";

/** Long enough for a group of seeds on a busy 2-core machine. */
export const GROUP_TIMEOUT_MS = 300_000;

export function campaignTests(
  name: CampaignName,
  first: number,
  count: number,
  options: CampaignOptions,
  groupSize = 5,
): CampaignReport {
  const total = emptyReport();
  const seeds = seedRange(first, count);
  for (let start = 0; start < seeds.length; start += groupSize) {
    const group = seeds.slice(start, start + groupSize);
    it(
      `seeds ${group[0]} to ${group.at(-1)}: every invariant holds after every run`,
      async () => {
        // Act
        const report = await runCampaign(name, group, options);
        mergeReports(total, report);

        // Assess
        expect(report.violations, formatReport(name, report)).toEqual([]);
        expect(report.seeds).toBe(group.length);
      },
      GROUP_TIMEOUT_MS,
    );
  }
  return total;
}
