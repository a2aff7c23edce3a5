/** The demo's closing summary, as text: what each step did, the API calls, and where everything landed. */
import { bytes, count, plural, seconds, table } from "../cli/text-format";
import type { DemoReport } from "./demo";

function landedLine(object: DemoReport["incrementalSync"]["landed"][number]): string {
  const parts = [
    object.inserted > 0 ? `${object.inserted} inserted` : "",
    object.updated > 0 ? `${object.updated} updated` : "",
    object.deleted > 0
      ? `${object.deleted} deleted${object.deletesFlagged === object.deleted ? " (flagged IsDeleted)" : ""}`
      : "",
    object.unexpected.length > 0 ? `${object.unexpected.length} unchanged rows (unexpected)` : "",
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(", ") : "no changes";
}

export function demoText(report: DemoReport): string {
  const { fullSync, incrementalSync, load, apiCalls } = report;
  const verdict = report.ok
    ? "everything behaved as designed"
    : `something did not behave as designed: ${report.checks
        .filter((check) => !check.ok)
        .map((check) => `${check.name}: ${check.detail}`)
        .join("; ")}`;
  const lines = [
    "",
    `SaddleData demo: ${verdict} (${seconds(report.seconds)})`,
    "",
    `Full sync         ${plural(fullSync.totals.objects, "object")}, ${plural(fullSync.totals.records, "record")}, ${plural(fullSync.totals.parts, "part")} (${bytes(fullSync.totals.bytes)}), ${plural(fullSync.totals.apiCalls, "API call")}, ${seconds(fullSync.seconds)}`,
    `Incremental sync  ${plural(incrementalSync.totals.records, "record")} of ${plural(incrementalSync.totals.objects, "object")}, ${plural(incrementalSync.totals.apiCalls, "API call")}, ${seconds(incrementalSync.seconds)}: only the changes came through`,
    table(
      ["OBJECT", ">RECORDS", "CHANGES"],
      incrementalSync.landed
        .filter((object) => object.records > 0 || report.changes[object.object] !== undefined)
        .map((object) => [object.object, count(object.records), landedLine(object)]),
      "    ",
    ),
  ];
  const quiet = incrementalSync.landed
    .filter((object) => object.records === 0)
    .map((object) => object.object);
  if (quiet.length > 0) lines.push(`    (nothing changed in ${quiet.join(", ")})`);
  if (load.counts) {
    const { read, succeeded, created, failed, unprocessed, rejected } = load.counts;
    lines.push(
      `Load              ${load.object} ${load.operation}${load.externalIdField ? ` by ${load.externalIdField}` : ""}: ${plural(read, "row")} read, ${count(succeeded)} succeeded (${count(created)} created), ${count(failed)} failed, ${count(unprocessed)} unprocessed, ${count(rejected)} rejected, ${plural(load.apiCalls ?? 0, "API call")}, ${seconds(load.seconds)}`,
    );
  } else {
    lines.push(`Load              ${load.status}: ${load.message}`);
  }
  if (load.expectedFailure) {
    lines.push(
      `                  The failed row is the sample's deliberate mistake, as expected: ${load.expectedFailure.values.ERP_Id__c} -> ${load.expectedFailure.error}`,
    );
  }
  lines.push(
    "",
    `API calls served by the demo org: ${count(apiCalls.total)} (full sync ${count(apiCalls.fullSync)}, incremental ${count(apiCalls.incrementalSync)}, load ${count(apiCalls.load)}), plus ${plural(apiCalls.oauth, "login")}`,
    "",
    `Manifests (bucket saddledata):`,
    ...report.manifests.map((key) => `  ${key}`),
    "Load results:",
    ...report.results.map((key) => `  ${key}`),
    "",
    "Lake: each synced object has a current-state table (one row per live record, e.g. account) and a",
    "change log (every landed row, e.g. account_changes), in DuckDB over the bucket:",
    `  ${report.lake.check.detail}.`,
    `  ${report.lake.sql}`,
    table(
      report.lake.columns.map((name, column) => (report.lake.numeric[column] ? `>${name}` : name)),
      report.lake.cells,
      "    ",
    ),
    report.kept
      ? `Your own SQL: npx saddledata query --state-dir ${report.stateDir} --connection demo "SELECT ..."`
      : 'Your own SQL: run the demo with --keep, then npx saddledata query --state-dir DIR --connection demo "SELECT ..."',
    "",
    report.kept
      ? `State kept in ${report.stateDir}: explore it with \`npx saddledata status --state-dir ${report.stateDir} --connection demo\`.`
      : `State was in ${report.stateDir} (removed; add --keep to explore it afterwards with \`saddledata status\`).`,
    "Next: `npx saddledata sync --help` to sync your own org, `npx saddledata emulator` to keep the demo org running.",
    "",
  );
  return lines.join("\n");
}
