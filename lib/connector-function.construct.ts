/**
 * Every SaddleData Lambda, one runtime policy: Node 22 on ARM64, bundled and minified by esbuild with
 * source maps, its own log group with retention, JSON logs, no X-Ray (see lib/nag.ts), and a role that holds only
 * what the grant methods below add. Each grant sets the environment variable that tells the handler
 * where the granted resource is, so a function never has a permission without knowing its target or
 * the reverse.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type CfnElement, Duration, Stack } from "aws-cdk-lib";
import type { ITable } from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import {
  type BundlingOptions,
  NodejsFunction,
  type NodejsFunctionProps,
  OutputFormat,
  SourceMapMode,
} from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import type { IBucket } from "aws-cdk-lib/aws-s3";
import type { ISecret } from "aws-cdk-lib/aws-secretsmanager";
import type { IStateMachine } from "aws-cdk-lib/aws-stepfunctions";
import type { Construct } from "constructs";
import { ENV } from "../functions/contract";
import type { Lake } from "./lake.construct";
import { acknowledge } from "./nag";

/** The repository root: entries, the lock file and tsconfig.json are found from here. */
export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

export type ConnectorFunctionName = "discover" | "extract" | "lake" | "load" | "load-trigger";

interface FunctionSpec {
  description: string;
  memorySize: number;
  timeout: Duration;
}

/** 1769 MB is where Lambda gives a function one full vCPU: extract and load convert and compress streams. */
export const FUNCTION_SPECS: Record<ConnectorFunctionName, FunctionSpec> = {
  discover: {
    description: "SaddleData discover: refresh the Salesforce catalog and list the objects to extract",
    memorySize: 512,
    timeout: Duration.minutes(5),
  },
  extract: {
    description: "SaddleData extract: one step of one object's Bulk/REST extract into S3",
    memorySize: 1769,
    timeout: Duration.minutes(15),
  },
  lake: {
    description: "SaddleData lake: merge an object's committed runs into its current-state table (Athena)",
    memorySize: 512,
    timeout: Duration.minutes(5),
  },
  load: {
    description: "SaddleData load: one step of loading an inbound S3 file into Salesforce",
    memorySize: 1769,
    timeout: Duration.minutes(15),
  },
  "load-trigger": {
    description: "SaddleData load trigger: start the load state machine for a file landed under inbound/",
    memorySize: 256,
    timeout: Duration.seconds(30),
  },
};

/** The entry esbuild bundles for a function: `functions/<name>/handler.ts`, exporting `handler`. */
export function handlerEntry(name: ConnectorFunctionName): string {
  return join(PROJECT_ROOT, "functions", name, "handler.ts");
}

/**
 * ESM output needs `require` for the CommonJS dependencies esbuild inlines (they call it for Node
 * built-ins); the alias keeps the banner's import from clashing with a bundled module's names.
 */
const ESM_REQUIRE_BANNER =
  "import { createRequire as __saddledataCreateRequire } from 'node:module'; const require = __saddledataCreateRequire(import.meta.url);";

/**
 * One set of esbuild settings for every function. The AWS SDK is bundled rather than taken from the
 * runtime, so the deployed code runs exactly the SDK versions the tests ran.
 */
export const CONNECTOR_BUNDLING: BundlingOptions = {
  format: OutputFormat.ESM,
  target: "node22",
  mainFields: ["module", "main"],
  banner: ESM_REQUIRE_BANNER,
  minify: true,
  sourceMap: true,
  sourceMapMode: SourceMapMode.DEFAULT,
  sourcesContent: false,
  bundleAwsSDK: true,
  tsconfig: join(PROJECT_ROOT, "tsconfig.json"),
};

/**
 * Every function's NODE_OPTIONS (a caller's environment may override it). Source maps make every stack
 * trace in the logs point into the TypeScript sources; measured with the 0.7 MB bundles they cost about
 * 9 MB of memory and 10-60 ms of import per cold start, and nothing measurable on the extract and load
 * paths (bench/README.md).
 */
export const LAMBDA_NODE_OPTIONS = "--enable-source-maps";

/**
 * glibc's malloc settings for every function: blocks of 128 KiB and more are mapped and unmapped on
 * their own (`MALLOC_MMAP_THRESHOLD_`), so the buffers a stream makes and frees by the thousand (page
 * buffers, zstd contexts, upload parts) go back to the system at once instead of fragmenting the heap
 * (setting it also stops glibc from raising the threshold as such buffers come and go). Measured on
 * the 1,000,000-row Parquet extract: peak RSS 245 → 214 MB at the same CPU (bench/README.md).
 */
export const LAMBDA_MALLOC_ENVIRONMENT: Readonly<Record<string, string>> = {
  MALLOC_MMAP_THRESHOLD_: "131072",
};

/** Folders under the connection's prefix (see functions/core/layout.ts). */
export type BucketFolder = "catalog" | "data" | "runs" | "inbound" | "results" | "lake" | "athena-results";

/**
 * `read`: GetObject (HeadObject included; the current version only: a load checks that the version it
 * claimed is still the current one rather than reading old versions). `write`: PutObject, for small
 * objects written in one request. `upload`: also AbortMultipartUpload, for streams uploaded in parts
 * that abort a failed upload rather than leave it to the lifecycle rule. `delete`: DeleteObject (in the
 * versioned bucket it leaves a noncurrent version, which the lifecycle rule expires).
 */
export type BucketAccess = "read" | "write" | "upload" | "delete";

const BUCKET_ACTIONS: Record<BucketAccess, string[]> = {
  read: ["s3:GetObject"],
  write: ["s3:PutObject"],
  upload: ["s3:PutObject", "s3:AbortMultipartUpload"],
  delete: ["s3:DeleteObject"],
};

/** What the Athena lake engine calls in Glue: tables and partitions of one database, never a delete. */
export const GLUE_LAKE_ACTIONS = [
  "glue:GetDatabase",
  "glue:GetTable",
  "glue:CreateTable",
  "glue:UpdateTable",
  "glue:GetPartition",
  "glue:GetPartitions",
  "glue:BatchCreatePartition",
  "glue:BatchGetPartition",
] as const;

/** What a load's comparison calls in Glue: it reads the current-state tables, never changes them. */
export const GLUE_READ_ACTIONS = [
  "glue:GetDatabase",
  "glue:GetTable",
  "glue:GetPartition",
  "glue:GetPartitions",
  "glue:BatchGetPartition",
] as const;

/** What it calls in Athena: its queries in the connection's workgroup. */
export const ATHENA_LAKE_ACTIONS = [
  "athena:StartQueryExecution",
  "athena:GetQueryExecution",
  "athena:StopQueryExecution",
] as const;

/** What DynamoStateStore calls: leases, cursors and file claims are single-item conditional writes. */
export const STATE_TABLE_ACTIONS = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"];

export interface ConnectorFunctionProps
  extends Omit<NodejsFunctionProps, "entry" | "handler" | "runtime" | "architecture" | "logGroup" | "role"> {
  function: ConnectorFunctionName;
  logRetention: logs.RetentionDays;
}

export class ConnectorFunction extends NodejsFunction {
  readonly connectorFunction: ConnectorFunctionName;
  private readonly variables = new Map<string, string>();

  constructor(scope: Construct, id: string, props: ConnectorFunctionProps) {
    const { function: name, logRetention, environment, bundling, ...rest } = props;
    const spec = FUNCTION_SPECS[name];
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, { retention: logRetention });
    // An own role instead of the managed AWSLambdaBasicExecutionRole: it may write only to its log group.
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
      description: `${spec.description} (function role)`,
    });
    const defaults = {
      NODE_OPTIONS: LAMBDA_NODE_OPTIONS,
      ...LAMBDA_MALLOC_ENVIRONMENT,
      POWERTOOLS_SERVICE_NAME: "saddledata",
    };
    const merged = { ...defaults, ...environment };
    super(scope, id, {
      description: spec.description,
      memorySize: spec.memorySize,
      timeout: spec.timeout,
      ...rest,
      entry: handlerEntry(name),
      handler: "handler",
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, "package-lock.json"),
      bundling: { ...CONNECTOR_BUNDLING, ...bundling },
      environment: merged,
      logGroup,
      role,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
    });
    this.connectorFunction = name;
    for (const [key, value] of Object.entries(merged)) this.variables.set(key, value);
    logGroup.grantWrite(role);
    acknowledge(
      this,
      "Node.js 22 is the runtime the project pins and tests (package.json engines and the `node` dev dependency).",
      "AwsSolutions-L1",
    );
  }

  /** Set an environment variable the grants depend on; a second, different value is a bug, not an override. */
  private setEnvironment(key: string, value: string): this {
    const current = this.variables.get(key);
    if (current !== undefined && current !== value) {
      throw new Error(
        `${this.node.path}: ${key} is already set to another value; a function serves one connection.`,
      );
    }
    if (current === undefined) {
      this.variables.set(key, value);
      this.addEnvironment(key, value);
    }
    return this;
  }

  /** Plain configuration (connection name, settings, API version): no permission comes with it. */
  configure(values: Partial<Record<keyof typeof ENV, string>>): this {
    for (const [key, value] of Object.entries(values)) {
      if (value !== undefined) this.setEnvironment(ENV[key as keyof typeof ENV], value);
    }
    return this;
  }

  /**
   * Read the connection's credentials secret, and decrypt it with its customer-managed key when it has
   * one (only through Secrets Manager).
   */
  readSecret(secret: ISecret, secretId: string, kmsKeyArn?: string): this {
    secret.grantRead(this);
    if (kmsKeyArn) {
      this.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ["kms:Decrypt"],
          resources: [kmsKeyArn],
          conditions: {
            StringEquals: { "kms:ViaService": `secretsmanager.${Stack.of(this).region}.amazonaws.com` },
          },
        }),
      );
    }
    return this.setEnvironment(ENV.secretId, secretId);
  }

  /**
   * Objects under `<prefix><folder>/`, per folder. Also s3:ListBucket on the bucket: without it S3 answers
   * a read of a missing key with 403 instead of 404, and the first discover (no catalog yet) would fail.
   * It reveals key names, not contents.
   */
  useBucket(bucket: IBucket, prefix: string, folders: Partial<Record<BucketFolder, BucketAccess[]>>): this {
    const byActions = new Map<string, string[]>();
    for (const [folder, accesses] of Object.entries(folders)) {
      const actions = [...new Set(accesses.flatMap((access) => BUCKET_ACTIONS[access]))].sort();
      const key = actions.join(",");
      byActions.set(key, [...(byActions.get(key) ?? []), bucket.arnForObjects(`${prefix}${folder}/*`)]);
    }
    for (const [actions, resources] of byActions) {
      this.addToRolePolicy(new iam.PolicyStatement({ actions: actions.split(","), resources }));
    }
    this.addToRolePolicy(
      new iam.PolicyStatement({ actions: ["s3:ListBucket"], resources: [bucket.bucketArn] }),
    );
    const bucketId = Stack.of(bucket).getLogicalId(bucket.node.defaultChild as CfnElement);
    for (const folder of Object.keys(folders)) {
      acknowledge(
        this.role as iam.Role,
        `Objects are scoped to the connection's ${prefix}${folder}/ key prefix; their keys are only known at run time.`,
        `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${prefix}${folder}/*]`,
      );
    }
    this.setEnvironment(ENV.bucket, bucket.bucketName);
    return this.setEnvironment(ENV.prefix, prefix);
  }

  /**
   * The lake: Glue tables of the connection's database (created, extended, partitions registered) and
   * Athena queries in its workgroup. Athena reads and writes S3 with the caller's permissions, so the
   * function also reads the change logs (`data/`), reads, writes and vacuums the Iceberg tables (`lake/`)
   * and the query results (`athena-results/`).
   */
  useLake(lake: Lake, bucket: IBucket, prefix: string): this {
    this.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [...GLUE_LAKE_ACTIONS],
        resources: lake.glueArns(),
      }),
    );
    this.addToRolePolicy(
      new iam.PolicyStatement({ actions: [...ATHENA_LAKE_ACTIONS], resources: [lake.workgroupArn()] }),
    );
    this.addToRolePolicy(
      new iam.PolicyStatement({ actions: ["s3:GetBucketLocation"], resources: [bucket.bucketArn] }),
    );
    acknowledge(
      this.role as iam.Role,
      "Glue tables of the connection's own database: their names come from the Salesforce objects synced, known only at run time.",
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:glue:<AWS::Region>:<AWS::AccountId>:table/${lake.databaseName}/*]`,
    );
    this.useBucket(bucket, prefix, {
      data: ["read"],
      // VACUUM removes the files of expired snapshots (the bucket keeps them as noncurrent versions).
      lake: ["read", "upload", "delete"],
      "athena-results": ["read", "upload"],
    });
    this.setEnvironment(ENV.glueDatabase, lake.databaseName);
    return this.setEnvironment(ENV.athenaWorkgroup, lake.workgroupName);
  }

  /**
   * A load's comparison with the lake (skipUnchanged, dry runs): Athena queries in the workgroup over the
   * current-state tables, which it reads as the caller (`lake/`), with the catalog that names their
   * columns; Glue is only read. Query results are written to and read from `athena-results/`.
   */
  readLake(lake: Lake, bucket: IBucket, prefix: string): this {
    this.addToRolePolicy(
      new iam.PolicyStatement({ actions: [...GLUE_READ_ACTIONS], resources: lake.glueArns() }),
    );
    this.addToRolePolicy(
      new iam.PolicyStatement({ actions: [...ATHENA_LAKE_ACTIONS], resources: [lake.workgroupArn()] }),
    );
    this.addToRolePolicy(
      new iam.PolicyStatement({ actions: ["s3:GetBucketLocation"], resources: [bucket.bucketArn] }),
    );
    acknowledge(
      this.role as iam.Role,
      "Glue tables of the connection's own database, read only: their names come from the Salesforce objects synced, known only at run time.",
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:glue:<AWS::Region>:<AWS::AccountId>:table/${lake.databaseName}/*]`,
    );
    this.useBucket(bucket, prefix, {
      catalog: ["read"],
      lake: ["read"],
      "athena-results": ["read", "upload"],
    });
    this.setEnvironment(ENV.glueDatabase, lake.databaseName);
    return this.setEnvironment(ENV.athenaWorkgroup, lake.workgroupName);
  }

  /**
   * Cursors, leases and load claims: the table's items, not its index (`table.grant` would add
   * `<table>/index/*`; only `saddledata status` reads the index, with the operator's credentials).
   */
  useStateTable(table: ITable): this {
    iam.Grant.addToPrincipal({ grantee: this, actions: STATE_TABLE_ACTIONS, resourceArns: [table.tableArn] });
    return this.setEnvironment(ENV.table, table.tableName);
  }

  /**
   * The table's name without access: the runtime builds its state store at start-up for every handler,
   * so discover needs the name although it never touches the table.
   */
  nameStateTable(table: ITable): this {
    return this.setEnvironment(ENV.table, table.tableName);
  }

  /** Start executions of one state machine, named by `variable`. */
  startExecutions(stateMachine: IStateMachine, variable: string): this {
    stateMachine.grantStartExecution(this);
    return this.setEnvironment(variable, stateMachine.stateMachineArn);
  }
}
