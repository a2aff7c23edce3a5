/**
 * A connection's dashboard and the alarms beyond failed executions: Lambda errors and throttles, stale
 * objects (freshness) and the org's API allowance below the connector's reserve. It reads the metrics the
 * functions publish (`METRICS` in functions/contract.ts, embedded metric format) and AWS's own.
 *
 * Written with aws-cdk-lib's cloudwatch module rather than cdklabs' cdk-monitoring-constructs: that
 * library is on npm and its peer range (aws-cdk-lib ^2.160) fits, but its facade builds its own widget
 * and alarm set per resource (dozens here, most of them not questions an operator of this connector
 * asks), while the two widgets and the alarm that matter most (the objects with the largest lag, and a
 * freshness alarm over objects the stack cannot list at synth) are custom-metric queries it would not
 * build for us. Six widgets and a handful of alarms are clearer written out, and the template stays
 * assertable line by line.
 */
import { Duration } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as cloudwatchActions from "aws-cdk-lib/aws-cloudwatch-actions";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type * as sns from "aws-cdk-lib/aws-sns";
import type * as sfn from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";
import { METRICS } from "../functions/contract";

export interface MonitoringProps {
  connection: string;
  syncStateMachine: sfn.IStateMachine;
  loadStateMachine: sfn.IStateMachine;
  functions: Record<string, lambda.IFunction>;
  /** Alarm when an object's lag exceeds this many minutes; undefined: no freshness alarm. */
  freshnessAlarmMinutes: number | undefined;
  /** The connector's reserve (settings `reserve`): alarm when the org has fewer left. */
  reserve: { dailyApiRequests: number; dailyBulkQueryJobs?: number | undefined };
  alarmTopic?: sns.ITopic | undefined;
  /** The stack's other alarms (executions, dead letters), shown on the dashboard with these. */
  otherAlarms?: cloudwatch.IAlarm[];
}

/** Lambda errors in 5 minutes that raise the alarm: the state machines retry a transient one or two. */
export const LAMBDA_ERRORS_THRESHOLD = 3;

export class Monitoring extends Construct {
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: cloudwatch.Alarm[] = [];
  private readonly props: MonitoringProps;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.props = props;
    const functions = Object.values(props.functions);

    const errors = sumOf(
      "errors",
      functions.map((fn) => fn.metricErrors({ period: Duration.minutes(5) })),
    );
    const throttles = sumOf(
      "throttles",
      functions.map((fn) => fn.metricThrottles({ period: Duration.minutes(5) })),
    );
    this.alarm("LambdaErrorsAlarm", {
      alarmDescription: `SaddleData ${props.connection}: its Lambdas failed ${LAMBDA_ERRORS_THRESHOLD} times or more in 5 minutes; see their logs (the state machines retry transient errors, so a few are expected).`,
      metric: errors,
      threshold: LAMBDA_ERRORS_THRESHOLD,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.alarm("LambdaThrottlesAlarm", {
      alarmDescription: `SaddleData ${props.connection}: Lambda throttled its functions; raise the account's concurrency or lower mapConcurrency.`,
      metric: throttles,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    const lag = this.metric(METRICS.lag, "Maximum");
    if (props.freshnessAlarmMinutes !== undefined) {
      // Each run reports every object's lag, failed runs included, under `connection` alone too: its
      // maximum is the stalest object. A window with no report at all (no run) counts as stale.
      const seconds = props.freshnessAlarmMinutes * 60;
      const day = 86_400;
      const periodSeconds = Math.min(seconds, day);
      const periods = Math.ceil(seconds / periodSeconds);
      this.alarm("FreshnessAlarm", {
        alarmDescription: `SaddleData ${props.connection}: an object's data is more than ${props.freshnessAlarmMinutes} minutes old (or no sync reported for that long); see the dashboard's lag widget and the object's last error in the run summary.`,
        metric: lag.with({ period: Duration.seconds(periodSeconds) }),
        threshold: seconds,
        evaluationPeriods: periods,
        datapointsToAlarm: periods,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      });
    }
    this.alarm("ApiReserveAlarm", {
      alarmDescription: `SaddleData ${props.connection}: the org has fewer than ${props.reserve.dailyApiRequests} daily API requests left, the connector's reserve: runs refuse to start until the rolling 24 hours free some.`,
      metric: this.metric(METRICS.apiRequestsRemaining, "Minimum", Duration.hours(1)),
      threshold: props.reserve.dailyApiRequests,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (props.reserve.dailyBulkQueryJobs) {
      this.alarm("BulkQueryReserveAlarm", {
        alarmDescription: `SaddleData ${props.connection}: the org has fewer than ${props.reserve.dailyBulkQueryJobs} daily Bulk query jobs left, the connector's reserve: large extracts refuse to start.`,
        metric: this.metric(METRICS.bulkQueryJobsRemaining, "Minimum", Duration.hours(1)),
        threshold: props.reserve.dailyBulkQueryJobs,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }

    this.dashboard = new cloudwatch.Dashboard(this, "Dashboard", {
      dashboardName: `saddledata-${props.connection}`,
      defaultInterval: Duration.days(7),
    });
    const hour = Duration.hours(1);
    const runs = (machine: sfn.IStateMachine) => [
      machine.metricSucceeded({ period: hour, statistic: "Sum", label: "succeeded" }),
      machine.metricFailed({ period: hour, statistic: "Sum", label: "failed" }),
      machine.metricTimedOut({ period: hour, statistic: "Sum", label: "timed out" }),
      machine.metricAborted({ period: hour, statistic: "Sum", label: "aborted" }),
    ];
    const freshness =
      props.freshnessAlarmMinutes === undefined
        ? []
        : [{ value: props.freshnessAlarmMinutes * 60, label: "freshness alarm", color: "#d62728" }];
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: "Sync runs per hour",
        left: runs(props.syncStateMachine),
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: "Load runs per hour",
        left: runs(props.loadStateMachine),
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: "Records per hour",
        left: [
          this.metric(METRICS.records, "Sum", hour, "records"),
          this.metric(METRICS.deletes, "Sum", hour, "deletes"),
        ],
        right: [this.metric(METRICS.extractFailures, "Sum", hour, "objects failed")],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: "Daily API requests: used against the org's limit",
        left: [
          new cloudwatch.MathExpression({
            expression: "max - remaining",
            usingMetrics: {
              max: this.metric(METRICS.apiRequestsMax, "Maximum", hour),
              remaining: this.metric(METRICS.apiRequestsRemaining, "Minimum", hour),
            },
            label: "used",
            period: hour,
          }),
          this.metric(METRICS.apiRequestsMax, "Maximum", hour, "limit"),
        ],
        right: [this.metric(METRICS.apiCalls, "Sum", hour, "spent by this connector")],
        leftAnnotations: [
          { value: props.reserve.dailyApiRequests, label: "reserve (remaining)", color: "#ff7f0e" },
        ],
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: "Largest lag (seconds): the 10 stalest objects",
        left: [
          new cloudwatch.MathExpression({
            // Metrics Insights: one line per object, whatever objects the connection syncs.
            expression: `SELECT MAX(${METRICS.lag}) FROM SCHEMA("${METRICS.namespace}", connection, object, service) WHERE connection = '${props.connection}' GROUP BY object ORDER BY MAX() DESC LIMIT 10`,
            usingMetrics: {},
            label: "",
            period: hour,
          }),
        ],
        leftAnnotations: freshness,
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: "Load outcomes (rows per hour)",
        stacked: true,
        left: [
          this.metric(METRICS.loadSucceeded, "Sum", hour, "succeeded"),
          this.metric(METRICS.loadFailed, "Sum", hour, "failed"),
          this.metric(METRICS.loadUnprocessed, "Sum", hour, "unprocessed"),
          this.metric(METRICS.loadRejected, "Sum", hour, "rejected"),
          this.metric(METRICS.loadUnchanged, "Sum", hour, "unchanged (not sent)"),
        ],
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: "Lambda errors and throttles",
        left: [errors.with({ label: "errors" }), throttles.with({ label: "throttles" })],
        width: 12,
      }),
      new cloudwatch.AlarmStatusWidget({
        title: "Alarms",
        alarms: [...(props.otherAlarms ?? []), ...this.alarms],
        width: 12,
      }),
    );
  }

  /** One of the connector's metrics for the whole connection (all objects). */
  private metric(name: string, statistic: string, period = Duration.minutes(5), label?: string) {
    return new cloudwatch.Metric({
      namespace: METRICS.namespace,
      metricName: name,
      dimensionsMap: { service: METRICS.service, connection: this.props.connection },
      statistic,
      period,
      ...(label === undefined ? {} : { label }),
    });
  }

  private alarm(id: string, props: cloudwatch.AlarmProps): void {
    const alarm = new cloudwatch.Alarm(this, id, props);
    if (this.props.alarmTopic) alarm.addAlarmAction(new cloudwatchActions.SnsAction(this.props.alarmTopic));
    this.alarms.push(alarm);
  }
}

/** The sum of several metrics as one series (a missing point counts as 0); ids `<name>0`, `<name>1`, … */
export function sumOf(name: string, metrics: cloudwatch.IMetric[]): cloudwatch.MathExpression {
  const usingMetrics = Object.fromEntries(metrics.map((metric, index) => [`${name}${index}`, metric]));
  return new cloudwatch.MathExpression({
    expression: Object.keys(usingMetrics)
      .map((id) => `FILL(${id}, 0)`)
      .join(" + "),
    usingMetrics,
    period: Duration.minutes(5),
  });
}
