/** The benchmark's one printed table (and the README's), from the results. */
import type { BenchResults, PathFigures } from "../suite";

const pad = (text: string, width: number) => text.padStart(width);
const int = (n: number) => Math.round(n).toLocaleString("en-US");

function row(label: string, figures: PathFigures): string {
  return [
    label.padEnd(28),
    pad(int(figures.recordsPerSecond), 10),
    pad(figures.mbPerSecond.toFixed(1), 8),
    pad(int(figures.wallMs), 9),
    pad(int(figures.cpuMs), 9),
    pad(int(figures.peakRssMb), 9),
    pad(String(figures.apiCalls), 6),
    pad(String(figures.runs.length), 5),
  ].join(" ");
}

/** A plain-text table: one row per path and size, then ratios and bundles. */
export function formatTable(results: BenchResults): string {
  const lines: string[] = [];
  const header = [
    "path".padEnd(28),
    pad("records/s", 10),
    pad("MB/s", 8),
    pad("wall ms", 9),
    pad("CPU ms", 9),
    pad("peak RSS", 9),
    pad("calls", 6),
    pad("runs", 5),
  ].join(" ");
  lines.push(header, "-".repeat(header.length));
  for (const size of results.extract?.sizes ?? results.extractSizes ?? []) {
    const n = int(size.records);
    lines.push(row(`extract ${n} limit`, size.limit));
    if (size.connector) lines.push(row(`extract ${n} connector`, size.connector));
    if (size.parquet) lines.push(row(`extract ${n} parquet`, size.parquet));
    if (size.baseline) lines.push(row(`extract ${n} naive baseline`, size.baseline));
  }
  if (results.load) {
    const n = int(results.load.records);
    lines.push(row(`load ${n} limit`, results.load.limit));
    lines.push(row(`load ${n} connector`, results.load.connector));
  }
  lines.push("");
  if (results.extract) {
    const r = results.extract.ratios;
    lines.push(
      `extract at ${int(results.extract.records)}: connector/limit ${r.connectorToLimit}, connector/baseline ${r.connectorToBaseline}, ` +
        `peak RSS ${int(results.extract.connector.peakRssMb)} MB (${int(results.extract.peakRssMb100k)} MB at 100,000; ratio ${r.rssLargestToSmallest})`,
      `extract at ${int(results.extract.records)} as Parquet: ${int(results.extract.parquet.recordsPerSecond)} records/s ` +
        `(${r.parquetToConnector} × JSON lines), peak RSS ${int(results.extract.parquet.peakRssMb)} MB`,
    );
  }
  if (results.load) {
    lines.push(
      `load at ${int(results.load.records)}: connector/limit ${results.load.ratios.connectorToLimit}, ${results.load.jobs} Bulk jobs`,
    );
  }
  if (results.merge) {
    const merge = results.merge;
    const runs = merge.runs;
    const seconds = (ms: number[]) =>
      (ms.reduce((sum, value) => sum + value, 0) / runs.length / 1000).toFixed(1);
    lines.push(
      `merge ${int(merge.rows)} changed rows into ${int(merge.tableRows)} (${merge.columns} columns): ` +
        `${merge.seconds.toFixed(1)} s, ${merge.cpuSeconds.toFixed(1)} s CPU, peak RSS ${int(merge.peakRssMb)} MB ` +
        `(download ${seconds(runs.map((run) => run.downloadMs))} s, upload ${seconds(runs.map((run) => run.uploadMs))} s; ` +
        `DuckDB threads ${merge.duckdb.threads}, memory_limit ${merge.duckdb.memory_limit}; ${runs.length} runs)`,
    );
  }
  if (results.bundles.length > 0) {
    lines.push(
      "",
      `${"bundle".padEnd(14)} ${pad("bytes", 11)} ${pad("import ms", 10)} ${pad("+maps ms", 9)} ${pad("RSS MB", 7)} ${pad("+maps MB", 9)}`,
    );
    for (const bundle of results.bundles) {
      lines.push(
        [
          bundle.name.padEnd(14),
          pad(int(bundle.bytes), 11),
          pad(bundle.importMs.toFixed(0), 10),
          pad(bundle.importMsSourceMaps.toFixed(0), 9),
          pad(int(bundle.importRssMb), 7),
          pad(int(bundle.importRssMbSourceMaps), 9),
        ].join(" "),
      );
    }
  }
  const load = results.machine.loadAverage;
  lines.push(
    "",
    `${results.machine.cpus} × ${results.machine.cpuModel}, ${results.machine.memoryGb} GB, Node ${results.machine.node}; ` +
      `load average ${load.before.join("/")} before, ${load.after.join("/")} after; medians of the repetitions`,
  );
  return lines.join("\n");
}
