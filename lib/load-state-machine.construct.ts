/**
 * The load (Destination) state machine: one handler with actions; each returns the load state with a
 * `status` that the "Next step" Choice routes. Bulk jobs are waited for by Wait states, never by a
 * sleeping Lambda. Any error is recorded by the handler (summary, claim marked failed) before the
 * execution fails with the original error.
 */
import { Duration } from "aws-cdk-lib";
import * as logs from "aws-cdk-lib/aws-logs";
import * as sfn from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";
import { LOAD_EXECUTION_TIMEOUT_HOURS } from "../functions/contract";
import type { ConnectorFunction } from "./connector-function.construct";
import { connectorTask } from "./connector-task";
import { acknowledgeStateMachineRole } from "./nag";

export interface LoadStateMachineProps {
  load: ConnectorFunction;
  stateMachineName?: string;
  logRetention: logs.RetentionDays;
}

const CAUGHT = "$.caught";

export class LoadStateMachine extends Construct {
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: LoadStateMachineProps) {
    super(scope, id);
    const { load } = props;
    const state = sfn.JsonPath.entirePayload;

    const claim = connectorTask(this, "Claim file", load, {
      // The execution name is the run id: for a triggered load it is derived from the file version.
      payload: { action: "claim", runId: sfn.JsonPath.stringAt("$$.Execution.Name"), request: state },
    });
    const submit = connectorTask(this, "Validate and submit", load, { payload: { action: "submit", state } });
    const waitForJob = new sfn.Wait(this, "Wait for load job", {
      time: sfn.WaitTime.secondsPath("$.waitSeconds"),
    });
    const poll = connectorTask(this, "Check load job", load, { payload: { action: "poll", state } });
    const collect = connectorTask(this, "Collect results", load, { payload: { action: "results", state } });
    const waitBeforeRetry = new sfn.Wait(this, "Wait before retry", {
      time: sfn.WaitTime.secondsPath("$.waitSeconds"),
    });
    const finish = connectorTask(this, "Finish load", load, { payload: { action: "finish", state } });

    // The original error stays at $.caught, so the execution fails with it rather than with the recording's.
    const loadFailed = new sfn.Fail(this, "Load failed", {
      errorPath: `${CAUGHT}.Error`,
      causePath: `${CAUGHT}.Cause`,
    });
    const recordFailure = connectorTask(this, "Record load failure", load, {
      // The run id lets a failure of the claim step itself release a claim it wrote before failing.
      payload: {
        action: "fail",
        runId: sfn.JsonPath.stringAt("$$.Execution.Name"),
        state,
        error: sfn.JsonPath.objectAt(CAUGHT),
      },
      resultPath: "$.failure",
    });
    recordFailure.addCatch(loadFailed, { errors: [sfn.Errors.ALL], resultPath: "$.recordFailureError" });
    recordFailure.next(loadFailed);
    const unexpectedStatus = new sfn.Pass(this, "Unexpected load status", {
      result: sfn.Result.fromObject({
        Error: "UnexpectedStatus",
        Cause: "load returned a status the state machine does not know",
      }),
      resultPath: CAUGHT,
    }).next(recordFailure);
    for (const task of [claim, submit, poll, collect, finish]) {
      task.addCatch(recordFailure, { errors: [sfn.Errors.ALL], resultPath: CAUGHT });
    }

    const nextStep = new sfn.Choice(this, "Next step")
      .when(sfn.Condition.stringEquals("$.status", "duplicate"), new sfn.Succeed(this, "Already loaded"))
      .when(sfn.Condition.stringEquals("$.status", "submitting"), submit)
      .when(sfn.Condition.stringEquals("$.status", "polling"), waitForJob)
      .when(sfn.Condition.stringEquals("$.status", "collecting"), collect)
      .when(sfn.Condition.stringEquals("$.status", "retrying"), waitBeforeRetry)
      .when(sfn.Condition.stringEquals("$.status", "finishing"), finish)
      .otherwise(unexpectedStatus);
    claim.next(nextStep);
    submit.next(nextStep);
    waitForJob.next(poll);
    poll.next(nextStep);
    collect.next(nextStep);
    waitBeforeRetry.next(submit);
    finish.next(
      new sfn.Choice(this, "Every row loaded?")
        .when(sfn.Condition.stringEquals("$.outcome", "succeeded"), new sfn.Succeed(this, "Load succeeded"))
        // A dry run sent nothing and wrote its plan: plan.json says what a load would do.
        .when(sfn.Condition.stringEquals("$.outcome", "planned"), new sfn.Succeed(this, "Dry run planned"))
        .otherwise(new sfn.Fail(this, "Load incomplete", { error: "RowsNotLoaded", causePath: "$.message" })),
    );

    const logGroup = new logs.LogGroup(this, "Logs", {
      logGroupName: props.stateMachineName ? `/aws/vendedlogs/states/${props.stateMachineName}` : undefined,
      retention: props.logRetention,
    });
    this.stateMachine = new sfn.StateMachine(this, "StateMachine", {
      stateMachineName: props.stateMachineName,
      comment:
        "SaddleData load: claim an inbound file, validate and submit it to Salesforce, collect results.",
      definitionBody: sfn.DefinitionBody.fromChainable(claim),
      // A claim still "loading" past this (and a Lambda's timeout) may be taken over by a manual retry.
      timeout: Duration.hours(LOAD_EXECUTION_TIMEOUT_HOURS),
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });
    acknowledgeStateMachineRole(this.stateMachine, [load]);
  }
}
