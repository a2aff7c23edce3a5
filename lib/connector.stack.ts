// lib/: infrastructure: the CDK stack, its constructs and cdk-nag acknowledgements
/**
 * One Salesforce connection: its bucket, state table, credentials secret, the four Lambdas, the sync and
 * load state machines, the schedule that starts syncs, the rule that starts loads for files landed under
 * `inbound/`, and its monitoring: a dashboard, and alarms on failed, timed-out or aborted executions,
 * Lambda errors and throttles, stale objects and the org's API reserve.
 */
import {
  ArnFormat,
  CfnOutput,
  Duration,
  RemovalPolicy,
  SecretValue,
  Stack,
  type StackProps,
  TimeZone,
} from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as cloudwatchActions from "aws-cdk-lib/aws-cloudwatch-actions";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as events from "aws-cdk-lib/aws-events";
import * as eventTargets from "aws-cdk-lib/aws-events-targets";
import type * as logs from "aws-cdk-lib/aws-logs";
import * as s3 from "aws-cdk-lib/aws-s3";
import * as scheduler from "aws-cdk-lib/aws-scheduler";
import * as schedulerTargets from "aws-cdk-lib/aws-scheduler-targets";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import * as sns from "aws-cdk-lib/aws-sns";
import * as sqs from "aws-cdk-lib/aws-sqs";
import type * as sfn from "aws-cdk-lib/aws-stepfunctions";
import type { Construct } from "constructs";
import {
  LOAD_TRIGGER_ENV,
  STATE_TABLE_LIST_INDEX,
  STATE_TABLE_PARTITION_KEY,
  STATE_TABLE_TTL_ATTRIBUTE,
} from "../functions/contract";
import { ConnectorSettingsSchema } from "../functions/core/settings";
import { type ConnectionConfig, freshnessAlarmMinutesOf } from "./config";
import { ConnectorFunction } from "./connector-function.construct";
import { Lake } from "./lake.construct";
import { LoadStateMachine } from "./load-state-machine.construct";
import { Monitoring } from "./monitoring.construct";
import { acknowledge } from "./nag";
import { SyncStateMachine } from "./sync-state-machine.construct";

export interface ConnectorStackProps extends StackProps {
  connection: ConnectionConfig;
}

/** What goes into a secret the stack creates; the description repeats it for whoever fills it in. */
export const SECRET_DESCRIPTION_TEMPLATE =
  'Salesforce credentials for SaddleData connection "%s". Replace the value with one JSON object: ' +
  '{"authFlow":"password","clientId":"<connected app consumer key>","clientSecret":"<consumer secret>",' +
  '"username":"<integration user>","password":"<password>","securityToken":"<token, if required>",' +
  '"loginUrl":"https://login.salesforce.com"}. Other flows: {"authFlow":"client_credentials","clientId",' +
  '"clientSecret","loginUrl":"<My Domain URL>"} or {"authFlow":"jwt","clientId","username","privateKey":' +
  '"<PEM>","loginUrl"}. Use https://test.salesforce.com for sandboxes.';

export class ConnectorStack extends Stack {
  readonly bucket: s3.Bucket;
  readonly table: dynamodb.Table;
  readonly secret: secretsmanager.ISecret;
  readonly functions: Record<"discover" | "extract" | "lake" | "load" | "loadTrigger", ConnectorFunction>;
  readonly monitoring: Monitoring;
  /** The Glue database and Athena workgroup of the connection's lake tables. */
  readonly lake: Lake;
  readonly syncStateMachine: sfn.StateMachine;
  readonly loadStateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: ConnectorStackProps) {
    super(scope, id, props);
    const { connection } = props;
    const prefix = connection.prefix;
    const logRetention = connection.logRetentionDays as logs.RetentionDays;

    const accessLogs = new s3.Bucket(this, "AccessLogsBucket", {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ id: "expire-access-logs", expiration: Duration.days(365) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(
      accessLogs,
      "This is the server access log bucket of the data bucket; logging it to itself would loop.",
      "AwsSolutions-S1",
    );

    this.bucket = new s3.Bucket(this, "DataBucket", {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      eventBridgeEnabled: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: "data-bucket/",
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          id: "expire-load-results",
          prefix: `${prefix}results/`,
          expiration: Duration.days(connection.resultsRetentionDays),
        },
        {
          id: "expire-noncurrent-versions",
          noncurrentVersionExpiration: Duration.days(connection.noncurrentVersionRetentionDays),
          // Extract aborts a failed upload itself; this catches uploads of a Lambda that was killed.
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
    });

    // eventBridgeEnabled is set by a CDK-provided custom resource whose role uses the managed basic policy.
    const notifications = this.node.children.find((child) =>
      child.node.id.startsWith("BucketNotificationsHandler"),
    );
    if (notifications) {
      acknowledge(
        notifications,
        "CDK's own bucket-notifications custom resource (turns on EventBridge delivery); it runs only at deploy time.",
        "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
      );
    }

    this.table = new dynamodb.Table(this, "StateTable", {
      partitionKey: { name: STATE_TABLE_PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: STATE_TABLE_TTL_ATTRIBUTE,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Lists a connection's streams and the file claims without a scan (`saddledata status`).
    this.table.addGlobalSecondaryIndex({
      indexName: STATE_TABLE_LIST_INDEX.name,
      partitionKey: { name: STATE_TABLE_LIST_INDEX.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: STATE_TABLE_LIST_INDEX.sortKey, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });

    this.lake = new Lake(this, "Lake", { connection: connection.name, bucket: this.bucket, prefix });

    const { secret, secretId } = this.credentialsSecret(connection);
    this.secret = secret;

    const settings = JSON.stringify(connection.settings);
    const plain = {
      connection: connection.name,
      settings,
      ...(connection.apiVersion ? { apiVersion: connection.apiVersion } : {}),
    };
    const discover = new ConnectorFunction(this, "DiscoverFunction", { function: "discover", logRetention })
      .configure(plain)
      .readSecret(secret, secretId, connection.secretKmsKeyArn)
      // runs: the run's objects, which the sync's Distributed Map reads.
      .useBucket(this.bucket, prefix, { catalog: ["read", "write"], runs: ["write"] })
      .nameStateTable(this.table);
    const extract = new ConnectorFunction(this, "ExtractFunction", {
      function: "extract",
      logRetention,
      ...(connection.extractMemoryMb === undefined ? {} : { memorySize: connection.extractMemoryMb }),
    })
      .configure(plain)
      .readSecret(secret, secretId, connection.secretKmsKeyArn)
      // catalog: extract re-describes an object whose field disappeared and saves the new version.
      .useBucket(this.bucket, prefix, {
        catalog: ["read", "write"],
        data: ["upload"],
        runs: ["read", "write"],
      })
      .useStateTable(this.table);
    // The merge reads the catalog, the commit index and manifests, holds the stream's merge claim and
    // watermark, and runs Glue and Athena on the connection's database and workgroup.
    const lake = new ConnectorFunction(this, "LakeFunction", { function: "lake", logRetention })
      .configure(plain)
      // runs: a reconciling run's Id snapshot (Athena reads it as the caller) and the comparison's result.
      .useBucket(this.bucket, prefix, { catalog: ["read"], runs: ["read", "write"] })
      .useLake(this.lake, this.bucket, prefix)
      .useStateTable(this.table);
    const load = new ConnectorFunction(this, "LoadFunction", { function: "load", logRetention })
      .configure(plain)
      .readSecret(secret, secretId, connection.secretKmsKeyArn)
      .useBucket(this.bucket, prefix, { inbound: ["read"], results: ["read", "upload"] })
      // skipUnchanged and dry runs compare rows with the current-state tables through Athena.
      .readLake(this.lake, this.bucket, prefix)
      .useStateTable(this.table);

    this.syncStateMachine = new SyncStateMachine(this, "Sync", {
      discover,
      extract,
      lake,
      bucket: this.bucket,
      prefix,
      maxConcurrency: connection.mapConcurrency,
      stateMachineName: `saddledata-${connection.name}-sync`,
      logRetention,
    }).stateMachine;
    this.loadStateMachine = new LoadStateMachine(this, "Load", {
      load,
      stateMachineName: `saddledata-${connection.name}-load`,
      logRetention,
    }).stateMachine;

    const loadTrigger = new ConnectorFunction(this, "LoadTriggerFunction", {
      function: "load-trigger",
      logRetention,
      environment: { [LOAD_TRIGGER_ENV.prefix]: prefix },
    }).startExecutions(this.loadStateMachine, LOAD_TRIGGER_ENV.stateMachineArn);
    this.functions = { discover, extract, lake, load, loadTrigger };

    const alarmTopic = connection.alarmTopicArn
      ? sns.Topic.fromTopicArn(this, "AlarmTopic", connection.alarmTopicArn)
      : undefined;
    const deadLetterAlarm = this.inboundRule(loadTrigger, prefix, alarmTopic);
    if (connection.schedule) this.syncSchedule(connection);
    const otherAlarms = [
      this.failureAlarm("SyncFailedAlarm", this.syncStateMachine, "A SaddleData sync failed", alarmTopic),
      this.failureAlarm("LoadFailedAlarm", this.loadStateMachine, "A SaddleData load failed", alarmTopic),
      deadLetterAlarm,
    ];
    const { reserve } = ConnectorSettingsSchema.parse(connection.settings);
    this.monitoring = new Monitoring(this, "Monitoring", {
      connection: connection.name,
      syncStateMachine: this.syncStateMachine,
      loadStateMachine: this.loadStateMachine,
      functions: this.functions,
      freshnessAlarmMinutes: freshnessAlarmMinutesOf(connection),
      reserve,
      alarmTopic,
      otherAlarms,
    });

    new CfnOutput(this, "BucketName", { value: this.bucket.bucketName, description: "Data bucket" });
    new CfnOutput(this, "StateTableName", {
      value: this.table.tableName,
      description: "Cursors, leases, load claims",
    });
    new CfnOutput(this, "SecretId", { value: secretId, description: "Salesforce credentials secret" });
    new CfnOutput(this, "SyncStateMachineArn", { value: this.syncStateMachine.stateMachineArn });
    new CfnOutput(this, "LoadStateMachineArn", { value: this.loadStateMachine.stateMachineArn });
    new CfnOutput(this, "GlueDatabase", {
      value: this.lake.databaseName,
      description: "The lake's tables: <object>_changes (change log) and <object> (current state)",
    });
    new CfnOutput(this, "AthenaWorkgroup", { value: this.lake.workgroupName });
    new CfnOutput(this, "InboundPrefix", {
      value: `s3://${this.bucket.bucketName}/${prefix}inbound/`,
      description: "Drop files here as <Object>/<operation>/<file>.csv|.jsonl to load them into Salesforce",
    });
  }

  private credentialsSecret(connection: ConnectionConfig): {
    secret: secretsmanager.ISecret;
    secretId: string;
  } {
    if (connection.secret?.startsWith("arn:")) {
      const secret = secretsmanager.Secret.fromSecretAttributes(this, "CredentialsSecret", {
        // A complete ARN ends with Secrets Manager's 6-character suffix; a partial one does not.
        ...(/-[A-Za-z0-9]{6}$/.test(connection.secret)
          ? { secretCompleteArn: connection.secret }
          : { secretPartialArn: connection.secret }),
      });
      return { secret, secretId: connection.secret };
    }
    if (connection.secret) {
      const secretPartialArn = this.formatArn({
        service: "secretsmanager",
        resource: "secret",
        resourceName: connection.secret,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
      const secret = secretsmanager.Secret.fromSecretAttributes(this, "CredentialsSecret", {
        secretPartialArn,
      });
      return { secret, secretId: connection.secret };
    }
    const secret = new secretsmanager.Secret(this, "CredentialsSecret", {
      description: SECRET_DESCRIPTION_TEMPLATE.replace("%s", connection.name),
      // A placeholder, not a secret: CloudFormation leaves the value alone on later deploys while this
      // stays the same, so the credentials put in by hand survive updates.
      secretStringValue: SecretValue.unsafePlainText("{}"),
    });
    acknowledge(
      secret,
      "Salesforce connected-app credentials are rotated in Salesforce by an administrator; there is no rotation Lambda that could do it.",
      "AwsSolutions-SMG4",
    );
    return { secret, secretId: secret.secretArn };
  }

  /** Files landed under `<prefix>inbound/` start the load trigger, which names the load execution. */
  private inboundRule(
    loadTrigger: ConnectorFunction,
    prefix: string,
    alarmTopic: sns.ITopic | undefined,
  ): cloudwatch.Alarm {
    const deadLetters = new sqs.Queue(this, "InboundEventsDeadLetterQueue", {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(
      deadLetters,
      "This queue is itself the dead-letter queue of the inbound file rule.",
      "AwsSolutions-SQS3",
    );
    new events.Rule(this, "InboundFileRule", {
      description: "Start a SaddleData load for each file created under the inbound/ prefix",
      eventPattern: {
        source: ["aws.s3"],
        detailType: ["Object Created"],
        detail: {
          bucket: { name: [this.bucket.bucketName] },
          object: { key: events.Match.prefix(`${prefix}inbound/`) },
        },
      },
      targets: [
        new eventTargets.LambdaFunction(loadTrigger, {
          deadLetterQueue: deadLetters,
          retryAttempts: 8,
          maxEventAge: Duration.hours(6),
        }),
      ],
    });
    const alarm = new cloudwatch.Alarm(this, "InboundEventsDeadLetterAlarm", {
      alarmDescription:
        "An inbound file event could not start its load; its event is in the dead-letter queue.",
      metric: deadLetters.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (alarmTopic) alarm.addAlarmAction(new cloudwatchActions.SnsAction(alarmTopic));
    return alarm;
  }

  private syncSchedule(connection: ConnectionConfig): void {
    new scheduler.Schedule(this, "SyncSchedule", {
      description: `Start a SaddleData sync of ${connection.name}`,
      schedule: scheduler.ScheduleExpression.expression(
        connection.schedule as string,
        connection.scheduleTimeZone ? TimeZone.of(connection.scheduleTimeZone) : undefined,
      ),
      target: new schedulerTargets.StepFunctionsStartExecution(this.syncStateMachine, {
        input: scheduler.ScheduleTargetInput.fromObject({}),
      }),
    });
  }

  private failureAlarm(
    id: string,
    stateMachine: sfn.StateMachine,
    description: string,
    topic?: sns.ITopic,
  ): cloudwatch.Alarm {
    const period = Duration.minutes(5);
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmDescription: `${description}, timed out or was aborted: see the execution in the Step Functions console.`,
      // One alarm for the three ways an execution ends badly (a missing point counts as none).
      metric: new cloudwatch.MathExpression({
        expression: "FILL(failed, 0) + FILL(timedOut, 0) + FILL(aborted, 0)",
        usingMetrics: {
          failed: stateMachine.metricFailed({ period, statistic: cloudwatch.Stats.SUM }),
          timedOut: stateMachine.metricTimedOut({ period, statistic: cloudwatch.Stats.SUM }),
          aborted: stateMachine.metricAborted({ period, statistic: cloudwatch.Stats.SUM }),
        },
        period,
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (topic) alarm.addAlarmAction(new cloudwatchActions.SnsAction(topic));
    return alarm;
  }
}
