/** `saddledata load`: a CSV or JSON-lines file into Salesforce through the load state machine. */
import { Command, CommanderError, Option } from "commander";
import { INBOUND_OPERATIONS, type InboundOperation } from "../../../functions/core/layout";
import { EXIT, type ExitCode } from "../exit-codes";
import type { LoadReport } from "../load-run";
import { loadText } from "../load-text";
import {
  addCredentialOptions,
  addOutputOptions,
  addStorageOptions,
  CREDENTIALS_HELP,
  EXIT_HELP,
  STORAGE_HELP,
} from "../options";
import type { SessionOptions } from "../session";
import { type CommandContext, print, progressOf, regionOf, withSession } from "./command-context";

function loadExitCode(report: LoadReport): ExitCode {
  if (report.status === "succeeded") return EXIT.ok;
  // A dry run sent nothing: it failed only when rows of the file are invalid.
  if (report.status === "planned") return (report.counts?.rejected ?? 0) > 0 ? EXIT.failed : EXIT.ok;
  // Rejected whole: nothing reached Salesforce, and the file is what has to change.
  if (report.status === "rejected") return EXIT.usage;
  if (report.status === "duplicate") {
    const status = report.claimedBy?.status;
    return status === "succeeded" || status === "loading" || status === undefined ? EXIT.ok : EXIT.failed;
  }
  return EXIT.failed;
}

interface LoadOptions extends SessionOptions {
  file?: string;
  key?: string;
  object?: string;
  operation?: InboundOperation;
  externalId?: string;
  retry?: boolean;
  dryRun?: boolean;
  skipUnchanged?: boolean;
}

export function loadCommand(context: CommandContext): Command {
  const command = new Command("load")
    .description(
      "Load a CSV or JSON-lines file into Salesforce through the load state machine: the file lands under inbound/<Object>/<operation>/ and its S3 event starts the load; results go to results/.",
    )
    .addOption(
      new Option("--file <path>", "a local CSV or JSON-lines file to upload and load").conflicts("key"),
    )
    .option("--object <name>", "the Salesforce object to load into (with --file)")
    .addOption(
      new Option("--operation <op>", "what to do with each row (with --file)").choices([
        ...INBOUND_OPERATIONS,
      ]),
    )
    .option("--external-id <field>", "the external id field an upsert matches on")
    .option("--key <key>", "load an object already in the bucket instead (inbound/<Object>/<operation>/...)")
    .option("--retry", "with --key: take over a load of this file version whose run failed")
    .option(
      "--dry-run",
      "validate and plan only (plan.json, plan.csv): which rows would create, update, stay unchanged or miss; nothing is sent",
    )
    .option(
      "--skip-unchanged",
      "update/upsert: send only rows that change a field, compared with the lake when fresh, else the org",
    );
  addStorageOptions(command);
  addCredentialOptions(command);
  addOutputOptions(command);
  return command
    .addHelpText(
      "after",
      `
Examples:
  npx saddledata load --file samples/accounts-upsert.csv --object Account --operation upsert --external-id ERP_Id__c
  npx saddledata load --file contacts.csv --object Contact --operation insert --json
  npx saddledata load --key inbound/Account/update/accounts-2024-06-01.csv
  npx saddledata load --key inbound/Account/update/accounts-2024-06-01.csv --retry
  npx saddledata load --file accounts.csv --object Account --operation upsert --external-id ERP_Id__c --dry-run
  npx saddledata load --file accounts.csv --object Account --operation upsert --external-id ERP_Id__c --skip-unchanged

Each file version is loaded once: loading the same content under the same key again reports the
earlier run. Results: results/<inbound key>/{summary.json,success.csv,failed.csv,unprocessed.csv,rejected.csv,unchanged.csv}.
--dry-run with --file puts the file under inbound/<Object>/<operation>[/<F>]/dry-run/, which only plans
it (results/…/dry-run/<file>/plan.json and plan.csv); with --key it plans that file and takes no claim,
so the same file can be loaded for real afterwards. A dry run exits 0 when every row is valid, 1 when
some are rejected (rejected.csv), 2 when the file is rejected whole.
Before a --file is uploaded, its header is checked against the object's describe (one API call), so
a misspelled object, field or external id never lands in inbound/. The exit status is 0 only when
every row loaded; rows that Salesforce refused are in failed.csv (exit 1); a file rejected whole
(nothing sent) exits 2.
${STORAGE_HELP}
${CREDENTIALS_HELP}
${EXIT_HELP}`,
    )
    .action(async (options: LoadOptions) => {
      if (options.file === undefined && options.key === undefined) {
        throw new CommanderError(
          2,
          "saddledata.missingFile",
          "give --file PATH (with --object and --operation) or --key KEY.",
        );
      }
      if (options.file !== undefined && (options.object === undefined || options.operation === undefined)) {
        throw new CommanderError(
          2,
          "saddledata.missingTarget",
          "--file needs --object NAME and --operation OP.",
        );
      }
      if (options.retry && options.key === undefined) {
        throw new CommanderError(
          2,
          "saddledata.retryNeedsKey",
          "--retry applies to --key (a file already in the bucket).",
        );
      }
      await withSession(context, options, { credentials: true }, async (session) => {
        const step = progressOf(context, options).step("Load");
        step.update("synthesizing the state machine");
        const region = regionOf(session, options, context.terminal);
        const { createRuns, failureNote } = await import("../runs");
        const { assertReadableFile, dropFile, inboundKey, loadExistingKey, uploadAndTrigger } = await import(
          "../load-run"
        );
        const { watchInbound } = await import("../inbound-loads");
        const runs = await createRuns(session.runtime, { region });
        const unwatch = runs.watch({
          event: (event) => {
            const note = failureNote(event) ?? (event.type === "StateEntered" ? event.state : undefined);
            if (note) step.update(note);
          },
        });
        let report: LoadReport;
        try {
          if (options.file !== undefined) {
            const target = {
              object: options.object as string,
              operation: options.operation as InboundOperation,
              ...(options.externalId === undefined ? {} : { externalIdField: options.externalId }),
            };
            step.update("checking the file's header against the org");
            await assertReadableFile(options.file);
            inboundKey(session.runtime.layout, target, "check");
            const { checkFileAgainstOrg } = await import("../load-preflight");
            await checkFileAgainstOrg(session.runtime, options.file, target);
            const local = session.env.aws;
            if (options.skipUnchanged) {
              // The file's event starts the load with the connection's settings: this run's say so.
              session.runtime.config.settings.load.skipUnchanged = true;
            }
            const dryRun = options.dryRun === true;
            if (local) {
              const inbound = watchInbound(local.s3, runs.runner, region);
              try {
                report = await dropFile(runs, inbound, options.file, target, undefined, dryRun);
              } finally {
                await inbound.stop();
              }
            } else {
              report = await uploadAndTrigger(runs, options.file, target, region, dryRun);
            }
          } else {
            report = await loadExistingKey(runs, options.key as string, {
              target: {
                ...(options.object === undefined ? {} : { object: options.object }),
                ...(options.operation === undefined ? {} : { operation: options.operation }),
                ...(options.externalId === undefined ? {} : { externalIdField: options.externalId }),
              },
              retry: options.retry === true,
              dryRun: options.dryRun === true,
              skipUnchanged: options.skipUnchanged === true,
            });
          }
        } finally {
          unwatch();
        }
        const exitCode = loadExitCode(report);
        const counts = report.counts;
        const line =
          report.status === "planned"
            ? `dry run: ${counts?.read ?? 0} rows planned, nothing sent`
            : counts
              ? `${report.status}: ${counts.succeeded} of ${counts.read} rows loaded${counts.unchanged ? `, ${counts.unchanged} unchanged (not sent)` : ""}`
              : report.status;
        if (exitCode === EXIT.ok) step.succeed(line);
        else step.fail(line);
        print(context, options, { ...report, storage: session.storage }, loadText(report));
        return exitCode;
      });
    });
}
