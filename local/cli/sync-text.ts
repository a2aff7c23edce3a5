/** A sync report as people read it: one row per object, totals, the manifests written, failures. */
import type { SyncReport } from "./sync-run";
import { bytes, count, plural, seconds, table } from "./text-format";

export function syncText(report: SyncReport): string {
  const rows = report.objects.map((object) => [
    object.object,
    object.mode,
    object.status,
    count(object.records),
    count(object.parts),
    bytes(object.bytes),
    object.cursor ?? "-",
  ]);
  const { totals } = report;
  const lines = [
    `Sync ${report.runId}: ${report.status}${report.catalogVersion === undefined ? "" : ` (catalog v${report.catalogVersion})`}`,
    table(["OBJECT", "MODE", "STATUS", ">RECORDS", ">PARTS", ">SIZE", "CURSOR"], rows),
    `  ${plural(totals.objects, "object")}, ${plural(totals.records, "record")}, ${plural(totals.parts, "part")} (${bytes(totals.bytes)}), ${plural(totals.apiCalls, "API call")} in ${seconds(report.seconds)}`,
  ];
  for (const object of report.objects) {
    const { reconciled, partial } = object;
    if (reconciled !== undefined) {
      lines.push(
        `  ${object.object}: Ids reconciled with the org: ${plural(reconciled.deletes, "delete")} found, ${plural(reconciled.refetched, "row")} fetched again, ${plural(reconciled.apiCalls, "API call")}`,
      );
    }
    if (partial?.formulaApiCalls !== undefined) {
      lines.push(
        `  ${object.object}: formula fields read again: ${plural(partial.formulaRows ?? 0, "row")}, ${plural(partial.formulaApiCalls, "API call")}`,
      );
    }
    if (partial?.backfillApiCalls !== undefined) {
      lines.push(
        `  ${object.object}: ${plural(partial.backfilledFields ?? 0, "new field")} backfilled: ${plural(partial.backfillRows ?? 0, "row")}, ${plural(partial.backfillApiCalls, "API call")}`,
      );
    }
  }
  if (report.manifests.length > 0) {
    lines.push("  Manifests:", ...report.manifests.map((key) => `    ${key}`));
  }
  if (report.summaryKey) lines.push(`  Run summary: ${report.summaryKey}`);
  const { history } = report;
  lines.push(
    `  History: the run ${plural(history.run, "event")}${history.largestObject ? `, the largest object (${history.largestObject.object}) ${count(history.largestObject.events)}` : ""}, of Step Functions' 25,000 each`,
  );
  if (report.lake.length > 0) {
    lines.push(
      `  Lake: ${plural(report.lake.length, "current-state table")} up to date with this run; query them with saddledata query`,
    );
  }
  const failures = report.objects.filter((object) => object.status === "failed");
  if (failures.length > 0) {
    lines.push(
      `  ${plural(failures.length, "object")} failed (the cursor stays where it was; the next run repeats the window):`,
      ...failures.map((object) => `    ${object.object}: ${object.error ?? "failed"}`),
    );
  } else if (report.error) {
    lines.push(`  ${report.error.name}: ${report.error.message}`);
  }
  return `${lines.join("\n")}\n`;
}
