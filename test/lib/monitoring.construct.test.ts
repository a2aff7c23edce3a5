import { Match } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { METRICS } from "../../functions/contract";
import { freshnessAlarmMinutesOf, parseDeploymentConfig, schedulePeriodMinutes } from "../../lib/config";
import { LAMBDA_ERRORS_THRESHOLD } from "../../lib/monitoring.construct";
import { type SynthesizedConnector, synthConnector, TEST_CONNECTION } from "./synth";

const connectorMetric = (name: string, statistic: string, period: number) =>
  Match.objectLike({
    Namespace: METRICS.namespace,
    MetricName: name,
    Dimensions: Match.arrayEquals([
      { Name: "connection", Value: "acme" },
      { Name: "service", Value: METRICS.service },
    ]),
    Statistic: statistic,
    Period: period,
  });

function alarmsOf(synth: SynthesizedConnector) {
  return Object.values(synth.template.findResources("AWS::CloudWatch::Alarm")).map(
    (alarm) => alarm.Properties as Record<string, unknown>,
  );
}

describe("Monitoring", () => {
  let synth: SynthesizedConnector;
  beforeAll(() => {
    synth = synthConnector();
  });

  it("alarms when Lambda errors or throttles, summing every function of the connection", () => {
    // Assess
    const { stack } = synth;
    const functions = Object.values(stack.functions).map((fn) => ({
      Ref: stack.getLogicalId(fn.node.defaultChild as never),
    }));
    for (const [metricName, prefix, threshold] of [
      ["Errors", "errors", LAMBDA_ERRORS_THRESHOLD],
      ["Throttles", "throttles", 1],
    ] as const) {
      const alarm = alarmsOf(synth).find((properties) =>
        JSON.stringify(properties.Metrics ?? []).includes(`"MetricName":"${metricName}"`),
      );
      expect(alarm, metricName).toBeDefined();
      const metrics = alarm?.Metrics as Array<{
        Expression?: string;
        MetricStat?: {
          Metric: { Namespace: string; MetricName: string; Dimensions: Array<{ Value: unknown }> };
          Stat: string;
        };
      }>;
      const functionsMeasured = metrics
        .flatMap((metric) => (metric.MetricStat ? [metric.MetricStat] : []))
        .map((stat) => {
          expect(stat.Metric.Namespace).toBe("AWS/Lambda");
          expect(stat.Metric.MetricName).toBe(metricName);
          expect(stat.Stat).toBe("Sum");
          return stat.Metric.Dimensions[0]?.Value;
        });
      expect(functionsMeasured).toEqual(expect.arrayContaining(functions));
      expect(functionsMeasured).toHaveLength(functions.length);
      expect(metrics.find((metric) => metric.Expression)?.Expression).toBe(
        functions.map((_, index) => `FILL(${prefix}${index}, 0)`).join(" + "),
      );
      expect(alarm).toMatchObject({
        Threshold: threshold,
        EvaluationPeriods: 1,
        ComparisonOperator: "GreaterThanOrEqualToThreshold",
        TreatMissingData: "notBreaching",
      });
    }
  });

  it("alarms on freshness: the stalest object's lag above three schedule periods, or no report at all", () => {
    // Assess: a daily schedule gives 3 days, judged a day at a time, every day breaching
    synth.template.hasResourceProperties(
      "AWS::CloudWatch::Alarm",
      connectorMetric(METRICS.lag, "Maximum", 86_400),
    );
    const freshness = alarmsOf(synth).find((alarm) => alarm.MetricName === METRICS.lag);
    expect(freshness).toMatchObject({
      Namespace: "SaddleData",
      Statistic: "Maximum",
      Period: 86_400,
      Threshold: 3 * 86_400,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      ComparisonOperator: "GreaterThanThreshold",
      TreatMissingData: "breaching",
    });
  });

  it("takes freshnessAlarmMinutes when set, and has no freshness alarm without a schedule", () => {
    // Act
    const hourly = synthConnector({
      ...TEST_CONNECTION,
      schedule: "rate(1 hour)",
      freshnessAlarmMinutes: 90,
    });
    const manual = synthConnector({ name: "acme" });

    // Assess
    expect(alarmsOf(hourly).find((alarm) => alarm.MetricName === METRICS.lag)).toMatchObject({
      Period: 5400,
      Threshold: 5400,
      EvaluationPeriods: 1,
    });
    expect(alarmsOf(manual).some((alarm) => alarm.MetricName === METRICS.lag)).toBe(false);
  });

  it("alarms when the org's daily API requests or Bulk query jobs fall below the configured reserve", () => {
    // Act
    const reserved = synthConnector({
      ...TEST_CONNECTION,
      settings: { reserve: { dailyApiRequests: 5000, dailyBulkQueryJobs: 250 } },
    });

    // Assess
    for (const [name, threshold] of [
      [METRICS.apiRequestsRemaining, 5000],
      [METRICS.bulkQueryJobsRemaining, 250],
    ] as const) {
      expect(alarmsOf(reserved).find((alarm) => alarm.MetricName === name)).toMatchObject({
        Namespace: "SaddleData",
        Dimensions: [
          { Name: "connection", Value: "acme" },
          { Name: "service", Value: "saddledata" },
        ],
        Statistic: "Minimum",
        Period: 3600,
        Threshold: threshold,
        ComparisonOperator: "LessThanThreshold",
        TreatMissingData: "notBreaching",
      });
    }
    // The default reserve (1000 requests) when the settings name none.
    expect(alarmsOf(synth).find((alarm) => alarm.MetricName === METRICS.apiRequestsRemaining)).toMatchObject({
      Threshold: 1000,
    });
  });

  it("builds a dashboard per connection with runs, records, API use, lag, load outcomes and errors", () => {
    // Assess
    const dashboards = synth.template.findResources("AWS::CloudWatch::Dashboard");
    expect(Object.values(dashboards)).toHaveLength(1);
    const dashboard = Object.values(dashboards)[0]?.Properties;
    expect(dashboard.DashboardName).toBe("saddledata-acme");
    // The body is a Fn::Join of text and references: the text is enough to read the widgets.
    const body = (dashboard.DashboardBody["Fn::Join"][1] as unknown[])
      .map((part) => (typeof part === "string" ? part : "REF"))
      .join("");
    const widgets = JSON.parse(body).widgets as Array<{
      type: string;
      properties: { title?: string; alarms?: unknown[] };
    }>;
    expect(widgets.map((widget) => widget.properties.title)).toEqual([
      "Sync runs per hour",
      "Load runs per hour",
      "Records per hour",
      "Daily API requests: used against the org's limit",
      "Largest lag (seconds): the 10 stalest objects",
      "Load outcomes (rows per hour)",
      "Lambda errors and throttles",
      "Alarms",
    ]);
    const text = (title: string) =>
      JSON.stringify(widgets.find((widget) => widget.properties.title === title)?.properties);
    for (const name of [
      "ExecutionsSucceeded",
      "ExecutionsFailed",
      "ExecutionsTimedOut",
      "ExecutionsAborted",
    ]) {
      expect(text("Sync runs per hour")).toContain(name);
      expect(text("Load runs per hour")).toContain(name);
    }
    expect(text("Records per hour")).toContain(`"SaddleData","${METRICS.records}","connection","acme"`);
    expect(text("Daily API requests: used against the org's limit")).toContain("max - remaining");
    expect(text("Daily API requests: used against the org's limit")).toContain('"value":1000');
    expect(text("Largest lag (seconds): the 10 stalest objects")).toContain(
      `SELECT MAX(${METRICS.lag}) FROM SCHEMA(\\"SaddleData\\", connection, object, service) WHERE connection = 'acme' GROUP BY object ORDER BY MAX() DESC LIMIT 10`,
    );
    expect(text("Largest lag (seconds): the 10 stalest objects")).toContain(`"value":${3 * 86_400}`);
    for (const name of [
      METRICS.loadSucceeded,
      METRICS.loadFailed,
      METRICS.loadUnprocessed,
      METRICS.loadRejected,
      METRICS.loadUnchanged,
    ]) {
      expect(text("Load outcomes (rows per hour)")).toContain(name);
    }
    expect(widgets.at(-1)?.type).toBe("alarm");
    expect(widgets.at(-1)?.properties.alarms).toHaveLength(8);
  });
});

describe("freshnessAlarmMinutes", () => {
  it("reads the schedule's period from rate and cron expressions", () => {
    expect(schedulePeriodMinutes("rate(15 minutes)")).toBe(15);
    expect(schedulePeriodMinutes("rate(1 hour)")).toBe(60);
    expect(schedulePeriodMinutes("rate(2 days)")).toBe(2880);
    expect(schedulePeriodMinutes("cron(0/10 * * * ? *)")).toBe(10);
    expect(schedulePeriodMinutes("cron(0 * * * ? *)")).toBe(60);
    expect(schedulePeriodMinutes("cron(0 */6 * * ? *)")).toBe(360);
    expect(schedulePeriodMinutes("cron(0 2 * * ? *)")).toBe(1440);
    expect(schedulePeriodMinutes("cron(0 2 ? * MON *)")).toBe(10_080);
    expect(schedulePeriodMinutes("at(2030-01-01T00:00:00)")).toBeUndefined();
  });

  it("defaults to three schedule periods, none without a schedule or past what CloudWatch can judge", () => {
    expect(freshnessAlarmMinutesOf({ schedule: "rate(1 hour)" })).toBe(180);
    expect(freshnessAlarmMinutesOf({ schedule: "rate(1 hour)", freshnessAlarmMinutes: 120 })).toBe(120);
    expect(freshnessAlarmMinutesOf({})).toBeUndefined();
    expect(freshnessAlarmMinutesOf({ schedule: "cron(0 2 ? * MON *)" })).toBeUndefined();
  });

  it("refuses a value not longer than the schedule's period, or not a whole number of minutes, saying why", () => {
    const parse = (connection: Record<string, unknown>) => () =>
      parseDeploymentConfig({ connections: [{ name: "acme", ...connection }] }, "test.json");
    expect(parse({ schedule: "rate(1 hour)", freshnessAlarmMinutes: 60 })).toThrowError(
      /connections\.0\.freshnessAlarmMinutes: 60 minutes is not longer than the schedule's period \(60 minutes\).*such as 180/,
    );
    expect(parse({ freshnessAlarmMinutes: 1.5 })).toThrowError(
      /freshnessAlarmMinutes: must be a whole number/,
    );
    expect(parse({ freshnessAlarmMinutes: 20_000 })).toThrowError(
      /freshnessAlarmMinutes: must be at most 10080/,
    );
    expect(parse({ freshnessAlarmMinutes: 30 })).not.toThrow();
  });
});
