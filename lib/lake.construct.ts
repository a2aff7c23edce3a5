/**
 * The connection's lake catalog: a Glue database for its tables (change logs and Iceberg current
 * states, created and extended by the connector from each catalog version) and an Athena workgroup
 * (engine version 3, results in the connection's bucket, encrypted) that runs the merges.
 */
import { Stack } from "aws-cdk-lib";
import * as athena from "aws-cdk-lib/aws-athena";
import * as glue from "aws-cdk-lib/aws-glue";
import type { IBucket } from "aws-cdk-lib/aws-s3";
import { Construct } from "constructs";
import { athenaWorkgroupName, glueDatabaseName } from "../functions/contract";
import { Layout } from "../functions/core/layout";

export interface LakeProps {
  connection: string;
  bucket: IBucket;
  prefix: string;
}

export class Lake extends Construct {
  readonly databaseName: string;
  readonly workgroupName: string;
  readonly database: glue.CfnDatabase;
  readonly workgroup: athena.CfnWorkGroup;

  constructor(scope: Construct, id: string, props: LakeProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.databaseName = glueDatabaseName(props.connection);
    this.workgroupName = athenaWorkgroupName(props.connection);
    this.database = new glue.CfnDatabase(this, "Database", {
      catalogId: stack.account,
      databaseInput: {
        name: this.databaseName,
        description: `SaddleData lake of connection ${props.connection}: <object>_changes and <object> per Salesforce object.`,
      },
    });
    this.workgroup = new athena.CfnWorkGroup(this, "Workgroup", {
      name: this.workgroupName,
      description: `SaddleData ${props.connection}: merges into the lake's current-state tables`,
      state: "ENABLED",
      // The workgroup's settings win over a client's: results stay in the bucket, encrypted.
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        engineVersion: { selectedEngineVersion: "Athena engine version 3" },
        resultConfiguration: {
          outputLocation: `s3://${props.bucket.bucketName}/${new Layout(props.prefix).athenaResults()}`,
          encryptionConfiguration: { encryptionOption: "SSE_S3" },
        },
      },
    });
  }

  /** ARNs of the Glue catalog, the database and its tables, for the grants of a function that uses them. */
  glueArns(): string[] {
    const stack = Stack.of(this);
    return [
      stack.formatArn({ service: "glue", resource: "catalog" }),
      stack.formatArn({ service: "glue", resource: "database", resourceName: this.databaseName }),
      stack.formatArn({ service: "glue", resource: "table", resourceName: `${this.databaseName}/*` }),
    ];
  }

  workgroupArn(): string {
    return Stack.of(this).formatArn({
      service: "athena",
      resource: "workgroup",
      resourceName: this.workgroupName,
    });
  }
}
