/**
 * The CDK app: one stack per connection of the configuration file named by `-c config=<file>` (cdk.json
 * names the example in lib/). cdk-nag's AWS Solutions checks run on every synth.
 */
import { createConnectorApp } from "../lib/app";
import { readDeploymentConfig } from "../lib/config";

createConnectorApp((app) =>
  readDeploymentConfig(String(app.node.tryGetContext("config") ?? "lib/saddledata.config.example.json")),
);
