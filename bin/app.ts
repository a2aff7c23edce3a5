/**
 * The CDK app: one stack per connection of the configuration file named by `-c config=<file>` (cdk.json
 * names the example in lib/). cdk-nag's AWS Solutions checks run on every synth.
 */
import { App } from "aws-cdk-lib";
import { createConnectorApp } from "../lib/app";
import { readDeploymentConfig } from "../lib/config";

// The command line passes its context (cdk.json, -c) through the environment; read it once here.
const configPath = String(new App().node.tryGetContext("config") ?? "lib/saddledata.config.example.json");
createConnectorApp(readDeploymentConfig(configPath));
