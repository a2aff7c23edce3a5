/**
 * The functions' metrics: Powertools Metrics in CloudWatch's embedded metric format, behind the core's
 * `Metrics` port. Each `publish` is one EMF document: the figures under `connection` and `object` and
 * again under `connection` alone (the connection's totals and its worst lag), or, without an object,
 * under `connection` only. CloudWatch Logs turns the lines into metrics, so no IAM and no API call.
 *
 * The document goes to `write` (in a Lambda, stdout, which is what CloudWatch reads): local mode passes
 * its own, the way it passes its own log, so a local run does not print metrics unless asked.
 */
import { MetricUnit, Metrics as PowertoolsMetrics } from "@aws-lambda-powertools/metrics";
import { METRICS } from "../contract";
import type { MetricFigure, Metrics } from "../core/ports";

export interface EmfMetricsOptions {
  connection: string;
  /** Where each EMF document (one JSON line, no newline) goes. Default: stdout. */
  write?: (line: string) => void;
}

// process.stdout, not console.log: the functions log in Lambda's JSON format, which wraps console output
// in its own JSON object, where CloudWatch would no longer find the EMF document.
const toStdout = (line: string) => {
  process.stdout.write(`${line}\n`);
};

export function createEmfMetrics(options: EmfMetricsOptions): Metrics {
  const write = options.write ?? toStdout;
  return {
    publish(figures: readonly MetricFigure[], scope: { object?: string } = {}) {
      const finite = figures.filter((figure) => Number.isFinite(figure.value));
      if (finite.length === 0) return;
      // One instance per document: Powertools' store is per instance, and nothing leaks between calls.
      const metrics = new PowertoolsMetrics({ namespace: METRICS.namespace, serviceName: METRICS.service });
      metrics.addDimension("connection", options.connection);
      if (scope.object !== undefined) {
        metrics.addDimension("object", scope.object);
        metrics.addDimensions({ connection: options.connection });
      }
      for (const figure of finite) metrics.addMetric(figure.name, MetricUnit[figure.unit], figure.value);
      write(JSON.stringify(metrics.serializeMetrics()));
      metrics.clearMetrics();
    },
  };
}
