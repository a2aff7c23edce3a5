import { Match } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { ENV } from "../../functions/contract";
import { readRuntimeConfig } from "../../functions/runtime/runtime";
import type { ConnectorStack } from "../../lib/connector.stack";
import { type SynthesizedConnector, synthConnector, TEST_CONNECTION } from "./synth";

type Json = unknown;
interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: Json;
  Condition?: Json;
}

/** Names for the stack's resources, so policies read as `<DataBucket>/…/catalog/*`. */
function friendlyNames(stack: ConnectorStack): Map<string, string> {
  const names = new Map<string, string>();
  const add = (construct: { node: { defaultChild?: unknown } }, name: string) =>
    names.set(stack.getLogicalId(construct.node.defaultChild as never), name);
  add(stack.bucket, "DataBucket");
  add(stack.table, "StateTable");
  add(stack.syncStateMachine, "SyncStateMachine");
  add(stack.loadStateMachine, "LoadStateMachine");
  for (const [key, fn] of Object.entries(stack.functions)) {
    add(fn, `${key}Function`);
    names.set(stack.getLogicalId(fn.logGroup.node.defaultChild as never), `${key}Logs`);
  }
  const secret = stack.node.tryFindChild("CredentialsSecret");
  if (secret?.node.defaultChild) names.set(stack.getLogicalId(secret.node.defaultChild as never), "Secret");
  return names;
}

function flatten(value: Json, names: Map<string, string>): string {
  if (typeof value === "string") return value;
  const object = value as Record<string, Json>;
  if ("Ref" in object) {
    const ref = String(object.Ref);
    return `<${names.get(ref) ?? ref}>`;
  }
  if ("Fn::GetAtt" in object) {
    const [id, attribute] = object["Fn::GetAtt"] as [string, string];
    return `<${names.get(id) ?? id}${attribute === "Arn" ? "" : `.${attribute}`}>`;
  }
  if ("Fn::Join" in object) {
    const [separator, parts] = object["Fn::Join"] as [string, Json[]];
    return parts.map((part) => flatten(part, names)).join(separator);
  }
  return JSON.stringify(value);
}

/** Every Allow statement of a role's policies, as sorted actions on one readable resource each. */
function permissionsOf(synth: SynthesizedConnector, roleLogicalId: string): string[] {
  const names = friendlyNames(synth.stack);
  const policies = synth.template.findResources("AWS::IAM::Policy", {
    Properties: { Roles: Match.arrayWith([{ Ref: roleLogicalId }]) },
  });
  const lines: string[] = [];
  for (const policy of Object.values(policies)) {
    for (const statement of (policy.Properties.PolicyDocument.Statement as Statement[]) ?? []) {
      expect(statement.Effect).toBe("Allow");
      const actions = [statement.Action].flat().sort().join(",");
      for (const resource of [statement.Resource].flat()) {
        lines.push(`${actions} ${flatten(resource, names)}${statement.Condition ? " (conditional)" : ""}`);
      }
    }
  }
  return lines.sort();
}

function roleOf(synth: SynthesizedConnector, fn: keyof ConnectorStack["functions"]): string {
  const role = synth.stack.functions[fn].role;
  return synth.stack.getLogicalId(role?.node.defaultChild as never);
}

const prefix = "salesforce/acme/";

describe("ConnectorStack", () => {
  let synth: SynthesizedConnector;
  beforeAll(() => {
    synth = synthConnector();
  });

  it("keeps the data bucket encrypted, private, TLS-only, versioned, logged and on EventBridge", () => {
    // Assess
    const { template, stack } = synth;
    const bucketId = stack.getLogicalId(stack.bucket.node.defaultChild as never);
    template.hasResource("AWS::S3::Bucket", {
      Properties: Match.objectLike({
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        VersioningConfiguration: { Status: "Enabled" },
        LoggingConfiguration: Match.objectLike({ DestinationBucketName: Match.anyValue() }),
        LifecycleConfiguration: {
          Rules: Match.arrayWith([
            Match.objectLike({ Prefix: `${prefix}results/`, ExpirationInDays: 90, Status: "Enabled" }),
            Match.objectLike({
              NoncurrentVersionExpiration: { NoncurrentDays: 30 },
              AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
            }),
          ]),
        },
      }),
      DeletionPolicy: "Retain",
    });
    template.hasResourceProperties("AWS::S3::BucketPolicy", {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: "Deny",
            Action: "s3:*",
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          }),
        ]),
      },
    });
    template.hasResourceProperties("Custom::S3BucketNotifications", {
      BucketName: { Ref: bucketId },
      NotificationConfiguration: { EventBridgeConfiguration: {} },
    });
  });

  it("keeps the access log bucket encrypted, private and TLS-only too", () => {
    // Assess
    const buckets = synth.template.findResources("AWS::S3::Bucket");
    expect(Object.keys(buckets)).toHaveLength(2);
    for (const bucket of Object.values(buckets)) {
      expect(bucket.Properties.BucketEncryption).toBeDefined();
      expect(bucket.Properties.PublicAccessBlockConfiguration.BlockPublicAcls).toBe(true);
    }
    const policies = synth.template.findResources("AWS::S3::BucketPolicy");
    expect(Object.keys(policies)).toHaveLength(2);
    for (const policy of Object.values(policies)) {
      expect(JSON.stringify(policy.Properties.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
    }
  });

  it("defines the state table with pk, the list index, on-demand billing, PITR, encryption and TTL on expiresAt", () => {
    // Assess
    synth.template.hasResource("AWS::DynamoDB::Table", {
      Properties: {
        KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
        AttributeDefinitions: [
          { AttributeName: "pk", AttributeType: "S" },
          { AttributeName: "listPk", AttributeType: "S" },
          { AttributeName: "listSk", AttributeType: "S" },
        ],
        // One index, so an existing table gets it in one in-place update.
        GlobalSecondaryIndexes: [
          {
            IndexName: "list",
            KeySchema: [
              { AttributeName: "listPk", KeyType: "HASH" },
              { AttributeName: "listSk", KeyType: "RANGE" },
            ],
            Projection: { ProjectionType: "ALL" },
          },
        ],
        BillingMode: "PAY_PER_REQUEST",
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        TimeToLiveSpecification: { AttributeName: "expiresAt", Enabled: true },
      },
      DeletionPolicy: "Retain",
    });
  });

  it.each([
    ["discover", 512, 300],
    ["extract", 1769, 900],
    ["load", 1769, 900],
    ["loadTrigger", 256, 30],
  ] as const)(
    "runs %s on Node 22, ARM64, traced, JSON-logged to its own log group, %i MB, %i s",
    (name, memory, timeout) => {
      // Prepare
      const { stack, template } = synth;
      const fn = stack.functions[name];
      const logGroupId = stack.getLogicalId(fn.logGroup.node.defaultChild as never);
      const roleId = roleOf(synth, name);

      // Assess
      template.hasResourceProperties("AWS::Lambda::Function", {
        Role: { "Fn::GetAtt": [roleId, "Arn"] },
        Runtime: "nodejs22.x",
        Architectures: ["arm64"],
        Handler: "index.handler",
        MemorySize: memory,
        Timeout: timeout,
        LoggingConfig: {
          LogFormat: "JSON",
          LogGroup: { Ref: logGroupId },
          ApplicationLogLevel: "INFO",
          SystemLogLevel: "WARN",
        },
        Environment: { Variables: Match.objectLike({ NODE_OPTIONS: "--enable-source-maps" }) },
      });
      template.hasResourceProperties("AWS::Logs::LogGroup", { RetentionInDays: 30 });
      // No X-Ray: the functions carry no tracing code (lib/nag.ts says why).
      const deployed = Object.values(template.findResources("AWS::Lambda::Function")).find((resource) =>
        JSON.stringify(resource.Properties.Role).includes(roleId),
      );
      expect(deployed?.Properties.TracingConfig).toBeUndefined();
      const role = template.toJSON().Resources[roleId];
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      expect(role.Properties.AssumeRolePolicyDocument.Statement[0].Principal).toEqual({
        Service: "lambda.amazonaws.com",
      });
    },
  );

  it("grants discover exactly: the secret, catalog/ read and write, the run's plan in runs/, listing for 404s, its logs", () => {
    // Assess
    expect(permissionsOf(synth, roleOf(synth, "discover"))).toEqual(
      [
        "logs:CreateLogStream,logs:PutLogEvents <discoverLogs>",
        "secretsmanager:DescribeSecret,secretsmanager:GetSecretValue <Secret>",
        `s3:GetObject,s3:PutObject <DataBucket>/${prefix}catalog/*`,
        `s3:PutObject <DataBucket>/${prefix}runs/*`,
        "s3:ListBucket <DataBucket>",
      ].sort(),
    );
  });

  it("grants extract exactly: the secret, catalog/ read and write, data/ uploads, runs/ read and write, the state items", () => {
    // Assess
    expect(permissionsOf(synth, roleOf(synth, "extract"))).toEqual(
      [
        "logs:CreateLogStream,logs:PutLogEvents <extractLogs>",
        "secretsmanager:DescribeSecret,secretsmanager:GetSecretValue <Secret>",
        `s3:GetObject,s3:PutObject <DataBucket>/${prefix}catalog/*`,
        `s3:AbortMultipartUpload,s3:PutObject <DataBucket>/${prefix}data/*`,
        `s3:GetObject,s3:PutObject <DataBucket>/${prefix}runs/*`,
        "s3:ListBucket <DataBucket>",
        "dynamodb:GetItem,dynamodb:PutItem,dynamodb:UpdateItem <StateTable>",
      ].sort(),
    );
  });

  it("grants load exactly: the secret, inbound/ reads, results/ reads and uploads, the state items, the lake read only", () => {
    // Assess
    const glue = "glue:BatchGetPartition,glue:GetDatabase,glue:GetPartition,glue:GetPartitions,glue:GetTable";
    const arn = (service: string, resource: string) =>
      `arn:<AWS::Partition>:${service}:<AWS::Region>:<AWS::AccountId>:${resource}`;
    expect(permissionsOf(synth, roleOf(synth, "load"))).toEqual(
      [
        "logs:CreateLogStream,logs:PutLogEvents <loadLogs>",
        "secretsmanager:DescribeSecret,secretsmanager:GetSecretValue <Secret>",
        `s3:GetObject <DataBucket>/${prefix}inbound/*`,
        `s3:AbortMultipartUpload,s3:GetObject,s3:PutObject <DataBucket>/${prefix}results/*`,
        // skipUnchanged and dry runs: Athena over the current-state tables, never a write to them.
        `athena:GetQueryExecution,athena:StartQueryExecution,athena:StopQueryExecution ${arn("athena", "workgroup/saddledata-acme")}`,
        `${glue} ${arn("glue", "catalog")}`,
        `${glue} ${arn("glue", "database/saddledata_acme")}`,
        `${glue} ${arn("glue", "table/saddledata_acme/*")}`,
        `s3:GetObject <DataBucket>/${prefix}catalog/*`,
        `s3:GetObject <DataBucket>/${prefix}lake/*`,
        `s3:AbortMultipartUpload,s3:GetObject,s3:PutObject <DataBucket>/${prefix}athena-results/*`,
        "s3:GetBucketLocation <DataBucket>",
        "s3:ListBucket <DataBucket>",
        "dynamodb:GetItem,dynamodb:PutItem,dynamodb:UpdateItem <StateTable>",
      ].sort(),
    );
  });

  it("grants the lake exactly: Glue on its database, Athena in its workgroup, the folders Athena reads and writes, runs/ for Id reconciliation", () => {
    // Assess
    const glue =
      "glue:BatchCreatePartition,glue:BatchGetPartition,glue:CreateTable,glue:GetDatabase,glue:GetPartition,glue:GetPartitions,glue:GetTable,glue:UpdateTable";
    const arn = (service: string, resource: string) =>
      `arn:<AWS::Partition>:${service}:<AWS::Region>:<AWS::AccountId>:${resource}`;
    expect(permissionsOf(synth, roleOf(synth, "lake"))).toEqual(
      [
        `athena:GetQueryExecution,athena:StartQueryExecution,athena:StopQueryExecution ${arn("athena", "workgroup/saddledata-acme")}`,
        `${glue} ${arn("glue", "catalog")}`,
        `${glue} ${arn("glue", "database/saddledata_acme")}`,
        `${glue} ${arn("glue", "table/saddledata_acme/*")}`,
        "logs:CreateLogStream,logs:PutLogEvents <lakeLogs>",
        `s3:GetObject <DataBucket>/${prefix}catalog/*`,
        `s3:GetObject <DataBucket>/${prefix}data/*`,
        // Id reconciliation: the run's Id snapshot (Athena reads it) and the comparison's result.
        `s3:GetObject,s3:PutObject <DataBucket>/${prefix}runs/*`,
        `s3:AbortMultipartUpload,s3:DeleteObject,s3:GetObject,s3:PutObject <DataBucket>/${prefix}lake/*`,
        `s3:AbortMultipartUpload,s3:GetObject,s3:PutObject <DataBucket>/${prefix}athena-results/*`,
        "s3:GetBucketLocation <DataBucket>",
        "s3:ListBucket <DataBucket>",
        "dynamodb:GetItem,dynamodb:PutItem,dynamodb:UpdateItem <StateTable>",
      ].sort(),
    );
  });

  it("grants the load trigger only StartExecution on the load state machine", () => {
    // Assess
    expect(permissionsOf(synth, roleOf(synth, "loadTrigger"))).toEqual(
      [
        "logs:CreateLogStream,logs:PutLogEvents <loadTriggerLogs>",
        "states:StartExecution <LoadStateMachine>",
      ].sort(),
    );
  });

  it("lets each state machine invoke only its own functions", () => {
    // Prepare
    const { stack } = synth;
    const roleId = (machine: typeof stack.syncStateMachine) =>
      stack.getLogicalId(machine.role.node.defaultChild as never);

    // Act
    const invokes = (machine: typeof stack.syncStateMachine) =>
      permissionsOf(synth, roleId(machine)).filter((line) => line.startsWith("lambda:"));

    // Assess
    expect(invokes(stack.syncStateMachine)).toEqual(
      [
        "lambda:InvokeFunction <discoverFunction>",
        "lambda:InvokeFunction <discoverFunction>:*",
        "lambda:InvokeFunction <extractFunction>",
        "lambda:InvokeFunction <extractFunction>:*",
        "lambda:InvokeFunction <lakeFunction>",
        "lambda:InvokeFunction <lakeFunction>:*",
      ].sort(),
    );
    expect(invokes(stack.loadStateMachine)).toEqual(
      ["lambda:InvokeFunction <loadFunction>", "lambda:InvokeFunction <loadFunction>:*"].sort(),
    );
  });

  it("lets the sync's Distributed Map read the run's plan, write its results and run its own children only", () => {
    // Prepare
    const { stack } = synth;
    const roleId = stack.getLogicalId(stack.syncStateMachine.role.node.defaultChild as never);

    // Act
    const granted = permissionsOf(synth, roleId).filter((line) => /^(s3|states):/.test(line));

    // Assess: S3 under runs/ only (never data/ or catalog/), and executions of this state machine only.
    expect(granted.filter((line) => line.startsWith("s3:"))).toEqual(
      [
        `s3:GetObject <DataBucket>/${prefix}runs/*`,
        `s3:AbortMultipartUpload,s3:GetObject,s3:ListMultipartUploadParts,s3:PutObject <DataBucket>/${prefix}runs/_map-results/*`,
      ].sort(),
    );
    const machineId = stack.getLogicalId(stack.syncStateMachine.node.defaultChild as never);
    const executions = `arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${machineId}"}]}]}`;
    expect(granted.filter((line) => line.startsWith("states:"))).toEqual(
      [
        "states:StartExecution <SyncStateMachine>",
        `states:DescribeExecution,states:StopExecution ${executions}:*`,
        `states:RedriveExecution ${executions}/*:*`,
      ].sort(),
    );
  });

  it("gives every data function the environment the runtime reads, pointing at the granted resources", () => {
    // Prepare
    const { stack, template } = synth;
    const resources = template.toJSON().Resources as Record<string, { Properties: Record<string, Json> }>;

    for (const name of ["discover", "extract", "load"] as const) {
      const id = stack.getLogicalId(stack.functions[name].node.defaultChild as never);
      const resource = resources[id];
      if (!resource) throw new Error(`No function resource ${id}`);
      const { Variables: variables } = resource.Properties.Environment as { Variables: Record<string, Json> };
      const env = Object.fromEntries(
        Object.entries(variables).map(([key, value]) => [key, flatten(value, friendlyNames(stack))]),
      );

      // Act
      const config = readRuntimeConfig(env);

      // Assess
      expect(config).toMatchObject({
        connection: "acme",
        bucket: "<DataBucket>",
        prefix,
        table: "<StateTable>",
        secretId: "<Secret>",
      });
      expect(config.settings.include).toEqual(TEST_CONNECTION.settings.include);
      expect(env[ENV.settings]).toBe(JSON.stringify(TEST_CONNECTION.settings));
    }
  });

  it("tells the load trigger which state machine to start and the inbound prefix", () => {
    // Assess
    const { stack, template } = synth;
    template.hasResourceProperties("AWS::Lambda::Function", {
      Role: { "Fn::GetAtt": [roleOf(synth, "loadTrigger"), "Arn"] },
      Environment: {
        Variables: Match.objectLike({
          SADDLEDATA_LOAD_STATE_MACHINE_ARN: {
            Ref: stack.getLogicalId(stack.loadStateMachine.node.defaultChild as never),
          },
          SADDLEDATA_PREFIX: prefix,
        }),
      },
    });
  });

  it("creates an empty credentials secret whose description says what JSON to put in it", () => {
    // Assess
    const secrets = Object.values(synth.template.findResources("AWS::SecretsManager::Secret"));
    expect(secrets).toHaveLength(1);
    const secret = secrets[0]?.Properties as { Description: string; SecretString: string };
    expect(secret.SecretString).toBe("{}");
    expect(secret.Description).toContain('"acme"');
    for (const field of ["authFlow", "clientId", "clientSecret", "username", "password", "loginUrl"]) {
      expect(secret.Description).toContain(field);
    }
    expect(secret.Description.length).toBeLessThanOrEqual(2048);
  });

  it("gives the extract function the configured memory, and only the extract function", () => {
    // Act
    const larger = synthConnector({ ...TEST_CONNECTION, extractMemoryMb: 3538 });

    // Assess
    const memory = (fn: keyof ConnectorStack["functions"]) => {
      const id = larger.stack.getLogicalId(larger.stack.functions[fn].node.defaultChild as never);
      return larger.template.toJSON().Resources[id].Properties.MemorySize;
    };
    expect(memory("extract")).toBe(3538);
    expect([memory("discover"), memory("load"), memory("lake"), memory("loadTrigger")]).toEqual([
      512, 1769, 512, 256,
    ]);
  });

  it("uses an existing secret by name with the suffix wildcard Secrets Manager ARNs need", () => {
    // Act
    const named = synthConnector({ ...TEST_CONNECTION, secret: "salesforce/acme" });

    // Assess
    named.template.resourceCountIs("AWS::SecretsManager::Secret", 0);
    const statements = permissionsOf(named, roleOf(named, "extract")).filter((line) =>
      line.startsWith("secretsmanager"),
    );
    expect(statements).toEqual([
      "secretsmanager:DescribeSecret,secretsmanager:GetSecretValue arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:salesforce/acme-??????",
    ]);
    named.template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: { Variables: Match.objectLike({ SADDLEDATA_SECRET_ID: "salesforce/acme" }) },
    });
  });

  it("uses an existing secret by complete ARN, and may decrypt with its customer key", () => {
    // Prepare
    const arn = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:salesforce/acme-AbC123";
    const key = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    // Act
    const imported = synthConnector({ ...TEST_CONNECTION, secret: arn, secretKmsKeyArn: key });

    // Assess
    expect(permissionsOf(imported, roleOf(imported, "discover"))).toEqual(
      expect.arrayContaining([
        `secretsmanager:DescribeSecret,secretsmanager:GetSecretValue ${arn}`,
        `kms:Decrypt ${key} (conditional)`,
      ]),
    );
  });

  it("schedules the sync with EventBridge Scheduler, input {}, in the configured time zone", () => {
    // Assess
    const { stack, template } = synth;
    template.hasResourceProperties("AWS::Scheduler::Schedule", {
      ScheduleExpression: "cron(0 2 * * ? *)",
      ScheduleExpressionTimezone: "Europe/Paris",
      State: "ENABLED",
      Target: Match.objectLike({
        Arn: { Ref: stack.getLogicalId(stack.syncStateMachine.node.defaultChild as never) },
        Input: "{}",
      }),
    });
  });

  it("creates no schedule when none is configured", () => {
    // Act
    const { schedule: _schedule, scheduleTimeZone: _zone, ...manual } = TEST_CONNECTION;
    const unscheduled = synthConnector(manual);

    // Assess
    unscheduled.template.resourceCountIs("AWS::Scheduler::Schedule", 0);
  });

  it("sends files created under <prefix>inbound/ of this bucket to the load trigger, with a dead-letter queue", () => {
    // Assess
    const { stack, template } = synth;
    template.hasResourceProperties("AWS::Events::Rule", {
      EventPattern: {
        source: ["aws.s3"],
        "detail-type": ["Object Created"],
        detail: {
          bucket: { name: [{ Ref: stack.getLogicalId(stack.bucket.node.defaultChild as never) }] },
          object: { key: [{ prefix: `${prefix}inbound/` }] },
        },
      },
      Targets: [
        Match.objectLike({
          Arn: {
            "Fn::GetAtt": [stack.getLogicalId(stack.functions.loadTrigger.node.defaultChild as never), "Arn"],
          },
          DeadLetterConfig: { Arn: Match.anyValue() },
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 21600 },
        }),
      ],
    });
  });

  it("alarms on failed, timed-out or aborted executions of each state machine and on dead-lettered inbound events", () => {
    // Assess
    const { stack, template } = synth;
    for (const machine of [stack.syncStateMachine, stack.loadStateMachine]) {
      const arn = { Ref: stack.getLogicalId(machine.node.defaultChild as never) };
      const metric = (id: string, name: string) =>
        Match.objectLike({
          Id: id,
          MetricStat: Match.objectLike({
            Metric: {
              Namespace: "AWS/States",
              MetricName: name,
              Dimensions: [{ Name: "StateMachineArn", Value: arn }],
            },
            Stat: "Sum",
            Period: 300,
          }),
          ReturnData: false,
        });
      template.hasResourceProperties("AWS::CloudWatch::Alarm", {
        Metrics: Match.arrayWith([
          Match.objectLike({ Expression: "FILL(failed, 0) + FILL(timedOut, 0) + FILL(aborted, 0)" }),
          metric("failed", "ExecutionsFailed"),
          metric("timedOut", "ExecutionsTimedOut"),
          metric("aborted", "ExecutionsAborted"),
        ]),
        Threshold: 1,
        EvaluationPeriods: 1,
        ComparisonOperator: "GreaterThanOrEqualToThreshold",
        TreatMissingData: "notBreaching",
      });
    }
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Namespace: "AWS/SQS",
      MetricName: "ApproximateNumberOfMessagesVisible",
      Threshold: 1,
    });
  });

  it("notifies the configured SNS topic from every alarm", () => {
    // Prepare
    const topic = "arn:aws:sns:eu-west-1:111122223333:saddledata-alarms";

    // Act
    const alarmed = synthConnector({ ...TEST_CONNECTION, alarmTopicArn: topic });

    // Assess: executions (2), dead letters, Lambda errors and throttles, freshness, API and Bulk reserves
    const alarms = Object.values(alarmed.template.findResources("AWS::CloudWatch::Alarm"));
    expect(alarms).toHaveLength(8);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([topic]);
  });

  it("logs both state machines at level ALL, without X-Ray, under readable names", () => {
    // Assess
    for (const kind of ["sync", "load"]) {
      synth.template.hasResourceProperties("AWS::StepFunctions::StateMachine", {
        StateMachineName: `saddledata-acme-${kind}`,
        LoggingConfiguration: Match.objectLike({ Level: "ALL", IncludeExecutionData: true }),
      });
    }
    for (const machine of Object.values(synth.template.findResources("AWS::StepFunctions::StateMachine"))) {
      expect(machine.Properties.TracingConfiguration).toBeUndefined();
    }
  });

  it("creates the lake's Glue database and an Athena workgroup that keeps results in the bucket, encrypted", () => {
    // Assess
    synth.template.hasResourceProperties("AWS::Glue::Database", {
      CatalogId: { Ref: "AWS::AccountId" },
      DatabaseInput: Match.objectLike({ Name: "saddledata_acme" }),
    });
    synth.template.hasResourceProperties("AWS::Athena::WorkGroup", {
      Name: "saddledata-acme",
      State: "ENABLED",
      WorkGroupConfiguration: {
        EnforceWorkGroupConfiguration: true,
        PublishCloudWatchMetricsEnabled: true,
        EngineVersion: { SelectedEngineVersion: "Athena engine version 3" },
        ResultConfiguration: {
          OutputLocation: {
            "Fn::Join": [
              "",
              ["s3://", { Ref: Match.stringLikeRegexp("^DataBucket") }, `/${prefix}athena-results/`],
            ],
          },
          EncryptionConfiguration: { EncryptionOption: "SSE_S3" },
        },
      },
    });
  });

  it("outputs the bucket, table, secret and both state machine ARNs", () => {
    // Assess
    const outputs = synth.template.toJSON().Outputs as Record<string, unknown>;
    expect(Object.keys(outputs)).toEqual(
      expect.arrayContaining([
        "BucketName",
        "StateTableName",
        "SecretId",
        "SyncStateMachineArn",
        "LoadStateMachineArn",
        "GlueDatabase",
        "AthenaWorkgroup",
      ]),
    );
  });
});
