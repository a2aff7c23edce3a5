/** `saddledata sync`: Salesforce objects into the bucket through the sync state machine. */
import { Command, Option } from "commander";
import { compilePattern } from "../../../functions/core/patterns";
import { EXIT } from "../exit-codes";
import {
  addCredentialOptions,
  addOutputOptions,
  addStorageOptions,
  CREDENTIALS_HELP,
  EXIT_HELP,
  STORAGE_HELP,
} from "../options";
import type { SessionOptions } from "../session";
import { syncText } from "../sync-text";
import { plural } from "../text-format";
import { type CommandContext, print, progressOf, regionOf, withSession } from "./command-context";

function objectList(value: string): string[] {
  const names = value
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "");
  // Checked here so a typo fails before anything starts; the same check discover makes.
  for (const name of names) compilePattern(name);
  return names;
}

export function syncCommand(context: CommandContext): Command {
  const command = new Command("sync")
    .description(
      "Sync Salesforce objects into the bucket through the sync state machine (discover, then each object by Bulk API 2.0 or REST), advancing each object's cursor.",
    )
    .option(
      "--objects <names>",
      "only these objects this time: API names or globs, comma-separated (Account,*__c)",
      objectList,
    )
    .addOption(
      new Option(
        "--mode <mode>",
        "force this sync mode for every object this time (default: the settings')",
      ).choices(["full_refresh", "incremental"]),
    );
  addStorageOptions(command);
  addCredentialOptions(command);
  addOutputOptions(command);
  return command
    .addHelpText(
      "after",
      `
Examples:
  npx saddledata sync                                  # every object, incremental where possible
  npx saddledata sync --objects Account,Contact        # just these, this time
  npx saddledata sync --objects '*__c' --mode full_refresh --credentials sf.json
  npx saddledata sync --bucket my-lake --table saddledata-state --region eu-west-1 --secret-id saddledata/prod
  npx saddledata sync --json | jq '.manifests[]'

Incremental syncs continue from each object's cursor (see \`saddledata status\`); the first one reads
everything (or from the settings' startDate).
${STORAGE_HELP}
${CREDENTIALS_HELP}
${EXIT_HELP}`,
    )
    .action(
      async (options: SessionOptions & { objects?: string[]; mode?: "full_refresh" | "incremental" }) => {
        await withSession(context, options, { credentials: true }, async (session) => {
          const step = progressOf(context, options).step("Sync");
          step.update("synthesizing the state machine");
          const { createRuns } = await import("../runs");
          const { runSync } = await import("../sync-run");
          const runs = await createRuns(session.runtime, {
            region: regionOf(session, options, context.terminal),
            ...(session.mapConcurrency === undefined ? {} : { mapConcurrency: session.mapConcurrency }),
          });
          const request = {
            ...(options.objects ? { objects: options.objects } : {}),
            ...(options.mode ? { mode: options.mode } : {}),
          };
          const report = await runSync(runs, { request, progress: step });
          const summary = `${plural(report.totals.objects, "object")}, ${plural(report.totals.records, "record")}`;
          if (report.status === "succeeded") step.succeed(summary);
          else step.fail(`${summary}, ${report.totals.failed} failed`);
          print(context, options, { ...report, storage: session.storage }, syncText(report));
          return report.status === "succeeded" ? EXIT.ok : EXIT.failed;
        });
      },
    );
}
