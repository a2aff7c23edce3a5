/** A load report as people read it: the outcome, rows by outcome, error codes and the result files. */
import type { LoadReport } from "./load-run";
import { count, plural, seconds } from "./text-format";

export function loadText(report: LoadReport): string {
  const target = [report.object, report.operation, report.externalIdField].filter(Boolean).join(" / ");
  if (report.status === "rejected") {
    const lines = [
      `Load ${report.runId}: rejected, nothing was sent to Salesforce${target ? ` (${target})` : ""}`,
      `  file     s3://${report.bucket}/${report.key}`,
      `  ${report.message}`,
    ];
    if (report.files?.summary) lines.push(`  report   ${report.files.summary}`);
    if (report.files?.rejected && (report.counts?.rejected ?? 0) > 0)
      lines.push(`  rows     ${report.files.rejected}`);
    return `${lines.join("\n")}\n`;
  }
  const lines = [
    `Load ${report.runId}: ${report.status}${target ? ` (${target})` : ""}`,
    `  file     s3://${report.bucket}/${report.key}`,
  ];
  if (report.counts) {
    const { read, succeeded, created, failed, unprocessed, rejected } = report.counts;
    const unchanged = report.counts.unchanged ?? 0;
    if (report.planned) {
      const fates = Object.entries(report.planned).map(([fate, n]) => `${count(n)} ${fate}`);
      lines.push(`  plan     ${count(read)} read: ${[...fates, `${count(rejected)} rejected`].join(", ")}`);
    } else {
      lines.push(
        `  rows     ${count(read)} read: ${count(succeeded)} succeeded (${count(created)} created), ${count(failed)} failed, ${count(unprocessed)} unprocessed, ${count(rejected)} rejected, ${count(unchanged)} unchanged`,
      );
    }
  }
  if (report.diffSource) {
    lines.push(
      `  compared ${report.diffSource.source === "lake" ? "with the lake (no API call)" : "with the org"}: ${report.diffSource.reason}`,
    );
  }
  const codes = Object.entries(report.errorCodes ?? {});
  if (codes.length > 0)
    lines.push(`  errors   ${codes.map(([code, n]) => `${code} × ${count(n)}`).join(", ")}`);
  if (report.apiCalls !== undefined) {
    lines.push(
      `  api      ${plural(report.apiCalls, "API call")}${report.api ? ` (${report.api === "bulk" ? "Bulk API 2.0" : "sObject Collections"})` : ""}, ${seconds(report.seconds)}`,
    );
  }
  if (report.files) {
    lines.push("  results", ...Object.values(report.files).map((key) => `    ${key}`));
  }
  if (report.claimedBy) {
    lines.push(`  claimed  by run ${report.claimedBy.runId} (${report.claimedBy.status})`);
    if (report.claimedBy.summaryKey) lines.push(`  summary  ${report.claimedBy.summaryKey}`);
  }
  lines.push(`  ${report.message}`);
  return `${lines.join("\n")}\n`;
}
