/**
 * The sync (Source) state machine: discover (which writes the run's objects to S3), then every selected
 * object through its own start → poll/fetch (→ compare Ids in the lake, when the run reconciles) → commit →
 * merge loop as a child execution of a Distributed Map, then a summary that fails the execution when any
 * object failed. One object's failure is caught inside its child and becomes its outcome, so the other
 * objects still commit. The Map reads its items from S3 and writes the outcomes to S3, and every object
 * has its own execution history (25,000 events), so neither the 256 KiB state nor the history caps the
 * number of objects. Payloads carry S3 keys and continuations, never records.
 */
import { type CfnElement, Duration, Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as logs from "aws-cdk-lib/aws-logs";
import type * as s3 from "aws-cdk-lib/aws-s3";
import * as sfn from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";
import { Layout } from "../functions/core/layout";
import type { ConnectorFunction } from "./connector-function.construct";
import { connectorTask } from "./connector-task";
import { acknowledge, acknowledgeStateMachineRole } from "./nag";

export interface SyncStateMachineProps {
  discover: ConnectorFunction;
  extract: ConnectorFunction;
  /** Merges each committed object into its current-state table. */
  lake: ConnectorFunction;
  /** The connection's bucket: the Distributed Map reads the run's objects and writes their outcomes there. */
  bucket: s3.IBucket;
  /** The connection's prefix in the bucket. */
  prefix: string;
  /** Objects extracted at once (the Distributed Map's MaxConcurrency). */
  maxConcurrency: number;
  stateMachineName?: string;
  logRetention: logs.RetentionDays;
}

/**
 * The run's objects (`objectsKey`), read from the `runs/` folder only: CDK's own reader would grant
 * GetObject on every object of the bucket.
 */
class RunObjectsReader extends sfn.S3JsonItemReader {
  constructor(
    private readonly objectsBucket: s3.IBucket,
    private readonly folder: string,
  ) {
    super({ bucket: objectsBucket, key: sfn.JsonPath.stringAt("$.objectsKey") });
  }

  override providePolicyStatements(): iam.PolicyStatement[] {
    return [
      new iam.PolicyStatement({
        actions: ["s3:GetObject"],
        resources: [this.objectsBucket.arnForObjects(`${this.folder}*`)],
      }),
    ];
  }
}

/** The Map run's results, written under their own prefix only: CDK's writer would grant the whole bucket. */
class MapResultsWriter extends sfn.ResultWriterV2 {
  constructor(
    private readonly resultsBucket: s3.IBucket,
    private readonly folder: string,
  ) {
    super({ bucket: resultsBucket, prefix: folder });
  }

  override providePolicyStatements(): iam.PolicyStatement[] {
    return [
      new iam.PolicyStatement({
        actions: ["s3:PutObject", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:AbortMultipartUpload"],
        resources: [this.resultsBucket.arnForObjects(`${this.folder}/*`)],
      }),
    ];
  }
}

/** Step Functions' Catch output lands here; the abort action reads it as `error`. */
const CAUGHT = "$.caught";
/** The object's outcome, once committed: the iteration's output when the merge is done. */
const OUTCOME = "$.outcome";
/** The merge's continuation, beside the object's. */
const MERGE = "$.merge";

export class SyncStateMachine extends Construct {
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: SyncStateMachineProps) {
    super(scope, id);
    // ResultWriterV2 (ResultWriter is deprecated) is behind a feature flag read from the context.
    this.node.setContext("@aws-cdk/aws-stepfunctions:useDistributedMapResultWriterV2", true);
    const { discover, extract, lake } = props;
    const layout = new Layout(props.prefix);

    const discoverObjects = connectorTask(this, "Discover objects", discover, {
      payload: { runId: sfn.JsonPath.stringAt("$$.Execution.Name"), request: sfn.JsonPath.entirePayload },
    });

    const startExtract = connectorTask(this, "Start extract", extract, {
      payload: { action: "start", task: sfn.JsonPath.entirePayload },
    });
    const waitForJob = new sfn.Wait(this, "Wait for Bulk job", {
      time: sfn.WaitTime.secondsPath("$.waitSeconds"),
    });
    const checkJob = connectorTask(this, "Check Bulk job", extract, {
      payload: { action: "poll", state: sfn.JsonPath.entirePayload },
    });
    const downloadPages = connectorTask(this, "Download pages", extract, {
      payload: { action: "fetch", state: sfn.JsonPath.entirePayload },
    });
    // Id reconciliation: the run's Id snapshot is in; the lake compares it with the current-state table
    // (in the engine) before the run lands what was found and commits.
    const compareIds = connectorTask(this, "Compare Ids in lake", lake, {
      payload: { action: "compare", state: sfn.JsonPath.entirePayload },
    });
    // An iteration's output is the object's outcome, kept in the execution's state until the summary:
    // only what the summary reads (every field named here is always in the answer).
    // The object's outcome goes beside the continuation: the merge after it needs the run and catalog.
    const commitObject = connectorTask(this, "Commit object", extract, {
      payload: { action: "commit", state: sfn.JsonPath.entirePayload },
      keep: {
        object: "object",
        status: "status",
        records: "records",
        deletes: "deletes",
        reconciled: "reconciled",
        partial: "partial",
        apiCalls: "apiCalls",
        runDate: "runDate",
      },
      resultPath: OUTCOME,
    });
    // The cursor is committed before the merge and never waits for it; a merge that fails is the object's
    // failure (reported, and caught up from the commit index by the next merge), never skipped.
    const mergeObject = connectorTask(this, "Merge into lake", lake, {
      payload: {
        action: "merge",
        task: {
          runId: sfn.JsonPath.stringAt("$.runId"),
          object: sfn.JsonPath.stringAt("$.object"),
          catalogKey: sfn.JsonPath.stringAt("$.catalogKey"),
        },
      },
      resultPath: MERGE,
    });
    const waitForMerge = new sfn.Wait(this, "Wait for merge", {
      time: sfn.WaitTime.secondsPath(`${MERGE}.waitSeconds`),
    });
    const checkMerge = connectorTask(this, "Check merge", lake, {
      payload: { action: "check", state: sfn.JsonPath.objectAt(MERGE) },
      resultPath: MERGE,
    });
    const objectDone = new sfn.Pass(this, "Object done", { outputPath: OUTCOME });
    const recordFailure = connectorTask(this, "Record object failure", extract, {
      payload: { action: "abort", state: sfn.JsonPath.entirePayload, error: sfn.JsonPath.objectAt(CAUGHT) },
      // The message (up to 1,000 characters) is in the run's folder, where the summary reads it.
      keep: { object: "object", status: "status", apiCalls: "apiCalls", errorName: "error.name" },
    });
    // The last resort when even recording the failure failed: the object's summary, from the state alone.
    // The abort's own error goes elsewhere so the object's original error is the one reported.
    // Only the error's name: its Cause (a Lambda error report, kilobytes with the trace) would stay in the
    // execution's state until the summary; the history has it.
    const summarizeFailure = new sfn.Pass(this, "Summarize object failure", {
      parameters: {
        object: sfn.JsonPath.stringAt("$.object"),
        status: "failed",
        errorName: sfn.JsonPath.stringAt(`${CAUGHT}.Error`),
      },
    });
    recordFailure.addCatch(summarizeFailure, {
      errors: [sfn.Errors.ALL],
      resultPath: "$.recordFailureError",
    });
    // A status the handler never returns would otherwise end the whole Map with States.NoChoiceMatched.
    const unexpectedStatus = new sfn.Pass(this, "Unexpected extract status", {
      result: sfn.Result.fromObject({
        Error: "UnexpectedStatus",
        Cause: "extract returned a status the state machine does not know",
      }),
      resultPath: CAUGHT,
    }).next(recordFailure);

    for (const task of [startExtract, checkJob, downloadPages, compareIds, commitObject]) {
      task.addCatch(recordFailure, { errors: [sfn.Errors.ALL], resultPath: CAUGHT });
    }
    // A failed merge fails the object after its commit: recorded from the task alone (no Bulk job is left
    // to abort, and the lease was released by the commit).
    const mergeFailed = new sfn.Pass(this, "Merge failed", {
      parameters: {
        runId: sfn.JsonPath.stringAt("$.runId"),
        object: sfn.JsonPath.stringAt("$.object"),
        mode: sfn.JsonPath.stringAt("$.mode"),
        catalogKey: sfn.JsonPath.stringAt("$.catalogKey"),
        records: sfn.JsonPath.numberAt(`${OUTCOME}.records`),
        apiCalls: sfn.JsonPath.numberAt(`${OUTCOME}.apiCalls`),
        caught: sfn.JsonPath.objectAt(CAUGHT),
      },
    }).next(recordFailure);
    for (const task of [mergeObject, checkMerge]) {
      task.addCatch(mergeFailed, { errors: [sfn.Errors.ALL], resultPath: CAUGHT });
    }
    const unexpectedMergeStatus = new sfn.Pass(this, "Unexpected merge status", {
      result: sfn.Result.fromObject({
        Error: "UnexpectedStatus",
        Cause: "the lake merge returned a status the state machine does not know",
      }),
      resultPath: CAUGHT,
    }).next(mergeFailed);
    const mergeStep = new sfn.Choice(this, "Merge done?")
      .when(sfn.Condition.stringEquals(`${MERGE}.status`, "done"), objectDone)
      .when(sfn.Condition.stringEquals(`${MERGE}.status`, "running"), waitForMerge)
      .otherwise(unexpectedMergeStatus);
    commitObject.next(mergeObject);
    mergeObject.next(mergeStep);
    waitForMerge.next(checkMerge);
    checkMerge.next(mergeStep);

    const nextStep = new sfn.Choice(this, "Next step")
      .when(sfn.Condition.stringEquals("$.status", "polling"), waitForJob)
      .when(sfn.Condition.stringEquals("$.status", "fetching"), downloadPages)
      .when(sfn.Condition.stringEquals("$.status", "comparing"), compareIds)
      .when(sfn.Condition.stringEquals("$.status", "ready"), commitObject)
      .otherwise(unexpectedStatus);
    startExtract.next(nextStep);
    waitForJob.next(checkJob);
    checkJob.next(nextStep);
    downloadPages.next(nextStep);
    compareIds.next(nextStep);

    // Discover wrote the run's objects to S3 (`objectsKey`): each becomes a STANDARD child execution (a
    // Bulk job can outlast an Express child's five minutes) with its own history, and each child's outcome
    // goes to S3 (ResultWriter), where the summary reads it; the state keeps only the Map run's manifest
    // key. A child that fails outright (its catch could not even record the failure) is tolerated here
    // and reported by the summary as that object's failure.
    const extractEach = new sfn.DistributedMap(this, "Extract each object", {
      itemReader: new RunObjectsReader(props.bucket, `${layout.prefix}runs/`),
      itemSelector: {
        runId: sfn.JsonPath.stringAt("$.runId"),
        object: sfn.JsonPath.stringAt("$$.Map.Item.Value.object"),
        mode: sfn.JsonPath.stringAt("$$.Map.Item.Value.mode"),
        catalogKey: sfn.JsonPath.stringAt("$$.Map.Item.Value.catalogKey"),
      },
      maxConcurrency: props.maxConcurrency,
      mapExecutionType: sfn.StateMachineType.STANDARD,
      toleratedFailurePercentage: 100,
      resultWriterV2: new MapResultsWriter(props.bucket, layout.mapResults()),
      resultPath: "$.results",
    });
    extractEach.itemProcessor(startExtract);

    const summarize = connectorTask(this, "Summarize run", extract, {
      payload: {
        action: "summarize",
        runId: sfn.JsonPath.stringAt("$.runId"),
        resultWriter: sfn.JsonPath.objectAt("$.results.ResultWriterDetails"),
        failed: sfn.JsonPath.listAt("$.failed"),
      },
    });
    const outcome = new sfn.Choice(this, "Any object failed?")
      .when(
        sfn.Condition.numberGreaterThan("$.failed", 0),
        new sfn.Fail(this, "Sync failed", { error: "SyncFailed", causePath: "$.message" }),
      )
      .otherwise(new sfn.Succeed(this, "Sync succeeded"));

    const logGroup = new logs.LogGroup(this, "Logs", {
      logGroupName: props.stateMachineName ? `/aws/vendedlogs/states/${props.stateMachineName}` : undefined,
      retention: props.logRetention,
    });
    this.stateMachine = new sfn.StateMachine(this, "StateMachine", {
      stateMachineName: props.stateMachineName,
      comment: "SaddleData sync: discover, extract each object (Bulk API 2.0 or REST) into S3, summarize.",
      definitionBody: sfn.DefinitionBody.fromChainable(
        discoverObjects.next(extractEach).next(summarize).next(outcome),
      ),
      timeout: Duration.hours(24),
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });
    acknowledgeStateMachineRole(this.stateMachine, [discover, extract, lake]);
    const bucketId = Stack.of(props.bucket).getLogicalId(props.bucket.node.defaultChild as CfnElement);
    acknowledge(
      this.stateMachine.role,
      `The Distributed Map reads the run's objects under ${layout.prefix}runs/ and writes its results under ${layout.mapResults()}/: keys known at run time only.`,
      `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${layout.prefix}runs/*]`,
      `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${layout.mapResults()}/*]`,
    );
    const machineName = `{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${Stack.of(this).getLogicalId(this.stateMachine.node.defaultChild as CfnElement)}"}]}]}`;
    acknowledge(
      this.stateMachine,
      "The Distributed Map starts, describes and stops child executions of this state machine only; Step Functions names them at run time.",
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${machineName}:*]`,
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${machineName}/*:*]`,
    );
  }
}
