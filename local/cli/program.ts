/**
 * The `saddledata` command line: demo, discover, sync, load, status (and the emulator). Each command
 * prints a readable summary (or one JSON document with --json), exits 0 / 1 / 2 (see exit-codes.ts),
 * and reports any error as one line on stderr. What needs the CDK (the synthesized state machines) is
 * imported when a command runs, so help and input mistakes answer at once.
 */
import { Command, CommanderError, Option } from "commander";
import { registerEmulatorCommand } from "../../emulator/command";
import { INBOUND_OPERATIONS, type InboundOperation } from "../../functions/core/layout";
import { compilePattern } from "../../functions/core/patterns";
import { demoText } from "../demo/text";
import { cliLog } from "./cli-log";
import { reportError } from "./error-line";
import { EXIT, type ExitCode } from "./exit-codes";
import type { LoadReport } from "./load-run";
import { loadText } from "./load-text";
import {
  addCredentialOptions,
  addOutputOptions,
  addStorageOptions,
  CREDENTIALS_HELP,
  EXIT_HELP,
  type OutputOptions,
  STORAGE_HELP,
} from "./options";
import { createProgress, type Progress } from "./progress";
import type { Session, SessionOptions } from "./session";
import { syncText } from "./sync-text";
import { processTerminal, type Terminal } from "./terminal";
import { plural } from "./text-format";

interface Context {
  terminal: Terminal;
  /** The command's progress, once it has one (an error abandons the step in progress). */
  progress?: Progress;
  exitCode: ExitCode;
  redact: (text: string) => string;
}

function progressOf(context: Context, options: OutputOptions): Progress {
  context.progress ??= createProgress(context.terminal, { quiet: options.json === true });
  return context.progress;
}

function print(context: Context, options: OutputOptions, report: unknown, text: string): void {
  const out = options.json ? `${JSON.stringify(report, null, 2)}\n` : text;
  context.terminal.stdout.write(context.redact(out));
}

async function withSession(
  context: Context,
  options: SessionOptions,
  needs: { credentials: boolean },
  work: (session: Session) => Promise<ExitCode>,
): Promise<void> {
  const { openSession } = await import("./session");
  const session = await openSession(options, context.terminal, needs);
  context.redact = session.redact;
  const release = onInterrupt(context, () => session.stop());
  try {
    context.exitCode = await work(session);
  } finally {
    release();
    await session.stop();
  }
}

/**
 * Ctrl-C (or a scheduler's SIGTERM) runs `cleanup` before the process ends, so the embedded services
 * close their files; exit status 130, as shells report an interrupt. Returns the unregistering function.
 */
function onInterrupt(context: Context, cleanup: () => Promise<void>): () => void {
  const interrupted = () => {
    context.progress?.abandon();
    context.terminal.stderr.write("\nInterrupted: stopping.\n");
    cleanup().finally(() => process.exit(130));
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  return () => {
    process.off("SIGINT", interrupted);
    process.off("SIGTERM", interrupted);
  };
}

function objectList(value: string): string[] {
  const names = value
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "");
  // Checked here so a typo fails before anything starts; the same check discover makes.
  for (const name of names) compilePattern(name);
  return names;
}

function positiveInteger(name: string): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (!Number.isInteger(number) || number < 1) {
      throw new CommanderError(
        2,
        "saddledata.invalidArgument",
        `--${name} must be a whole number above 0, got '${value}'.`,
      );
    }
    return number;
  };
}

/** The region the state machines' ARNs name: the embedded services', or the AWS one in use. */
function regionOf(session: Session, options: SessionOptions, terminal: Terminal): string {
  return (
    session.region ??
    options.region ??
    terminal.env.AWS_REGION ??
    terminal.env.AWS_DEFAULT_REGION ??
    "us-east-1"
  );
}

function loadExitCode(report: LoadReport): ExitCode {
  if (report.status === "succeeded") return EXIT.ok;
  // Rejected whole: nothing reached Salesforce, and the file is what has to change.
  if (report.status === "rejected") return EXIT.usage;
  if (report.status === "duplicate") {
    const status = report.claimedBy?.status;
    return status === "succeeded" || status === "loading" || status === undefined ? EXIT.ok : EXIT.failed;
  }
  return EXIT.failed;
}

function demoCommand(context: Context): Command {
  return new Command("demo")
    .description(
      "See the whole connector work on this machine, with no accounts: a bundled demo Salesforce org, embedded S3, DynamoDB and Secrets Manager, a full sync, an incremental sync after some changes, and a file load with one deliberately bad row.",
    )
    .option(
      "--state-dir <dir>",
      "keep the demo's S3 bucket and state table here (default: a temporary folder)",
    )
    .option(
      "--keep",
      "keep the temporary state folder afterwards, to explore with `saddledata status --state-dir DIR --connection demo`",
    )
    .option("--json", "print one JSON document (the demo's figures, S3 keys and checks) instead of text")
    .option("--verbose", "show the runtime's log lines (JSON, on stderr)")
    .addHelpText(
      "after",
      `
Examples:
  npm run demo
  npx saddledata demo --keep
  npx saddledata demo --state-dir ./demo-state && npx saddledata status --state-dir ./demo-state --connection demo
  npx saddledata demo --json | jq .apiCalls

It finishes in seconds and exits 0 when everything behaved as designed: the sample file's bad row
(a new account without a Name) ends in failed.csv, as expected.`,
    )
    .action(async (options: { stateDir?: string; keep?: boolean; json?: boolean; verbose?: boolean }) => {
      const progress = progressOf(context, options);
      const { runDemo } = await import("../demo/demo");
      const report = await runDemo({
        ...(options.stateDir === undefined ? {} : { stateDir: options.stateDir }),
        keep: options.keep === true,
        progress,
        log: cliLog(context.terminal, options.verbose === true),
        onInterrupt: (cleanup) => onInterrupt(context, cleanup),
      });
      print(context, options, report, demoText(report));
      context.exitCode = report.ok ? EXIT.ok : EXIT.failed;
    });
}

function discoverCommand(context: Context): Command {
  const command = new Command("discover").description(
    "Describe the org and write the catalog (objects, fields, cursor fields, extract API) to the bucket; shows which objects a sync would take.",
  );
  addStorageOptions(command);
  addCredentialOptions(command);
  addOutputOptions(command);
  return command
    .addHelpText(
      "after",
      `
Examples:
  SALESFORCE_LOGIN_URL=https://login.salesforce.com SALESFORCE_CLIENT_ID=... SALESFORCE_CLIENT_SECRET=... \\
    SALESFORCE_USERNAME=etl@example.com SALESFORCE_PASSWORD=... npx saddledata discover
  npx saddledata discover --credentials sf.json --settings saddledata.config.json --json
${STORAGE_HELP}
${CREDENTIALS_HELP}
${EXIT_HELP}`,
    )
    .action(async (options: SessionOptions) => {
      await withSession(context, options, { credentials: true }, async (session) => {
        const step = progressOf(context, options).step("Discover");
        const { discoverText, runDiscover } = await import("./discover-report");
        const report = await runDiscover(session.runtime);
        step.succeed(`catalog v${report.catalogVersion}, ${report.objects.length} objects`);
        print(context, options, report, discoverText(report));
        return report.failed.length > 0 ? EXIT.failed : EXIT.ok;
      });
    });
}

function syncCommand(context: Context): Command {
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
          const { createRuns } = await import("./runs");
          const { runSync } = await import("./sync-run");
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

interface LoadOptions extends SessionOptions {
  file?: string;
  key?: string;
  object?: string;
  operation?: InboundOperation;
  externalId?: string;
  retry?: boolean;
}

function loadCommand(context: Context): Command {
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
    .option("--retry", "with --key: take over a load of this file version whose run failed");
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

Each file version is loaded once: loading the same content under the same key again reports the
earlier run. Results: results/<inbound key>/{summary.json,success.csv,failed.csv,unprocessed.csv,rejected.csv}.
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
        const { createRuns, failureNote } = await import("./runs");
        const { assertReadableFile, dropFile, inboundKey, loadExistingKey, uploadAndTrigger } = await import(
          "./load-run"
        );
        const { watchInbound } = await import("./inbound-loads");
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
            const { checkFileAgainstOrg } = await import("./load-preflight");
            await checkFileAgainstOrg(session.runtime, options.file, target);
            const local = session.env.aws;
            if (local) {
              const inbound = watchInbound(local.s3, runs.runner, region);
              try {
                report = await dropFile(runs, inbound, options.file, target);
              } finally {
                await inbound.stop();
              }
            } else {
              report = await uploadAndTrigger(runs, options.file, target, region);
            }
          } else {
            report = await loadExistingKey(runs, options.key as string, {
              target: {
                ...(options.object === undefined ? {} : { object: options.object }),
                ...(options.operation === undefined ? {} : { operation: options.operation }),
                ...(options.externalId === undefined ? {} : { externalIdField: options.externalId }),
              },
              retry: options.retry === true,
            });
          }
        } finally {
          unwatch();
        }
        const exitCode = loadExitCode(report);
        const counts = report.counts;
        const line = counts
          ? `${report.status}: ${counts.succeeded} of ${counts.read} rows loaded`
          : report.status;
        if (exitCode === EXIT.ok) step.succeed(line);
        else step.fail(line);
        print(context, options, { ...report, storage: session.storage }, loadText(report));
        return exitCode;
      });
    });
}

function statusCommand(context: Context): Command {
  const command = new Command("status").description(
    "Show each object's cursor, last run, status, last error and lease, and the most recent load claims.",
  );
  addStorageOptions(command);
  addOutputOptions(command);
  return command
    .option("--loads <n>", "how many recent load claims to show", positiveInteger("loads"), 10)
    .addHelpText(
      "after",
      `
Examples:
  npx saddledata status
  npx saddledata status --state-dir ./demo-state --connection demo
  npx saddledata status --bucket my-lake --table saddledata-state --connection prod --json
${STORAGE_HELP}`,
    )
    .action(async (options: SessionOptions & { loads: number }) => {
      await withSession(context, options, { credentials: false }, async (session) => {
        const { statusReport, statusText } = await import("./status-report");
        const report = await statusReport(session.env, session.storage, { loads: options.loads });
        print(context, options, report, statusText(report));
        return EXIT.ok;
      });
    });
}

export function createProgram(context: Context): Command {
  const program = new Command()
    .name("saddledata")
    .description(
      "SaddleData Salesforce connector: sync Salesforce objects to S3 and load S3 files into Salesforce, on this machine with the same handlers and state machines as the AWS deployment.",
    )
    .addHelpText(
      "after",
      `
Start here:
  npm run demo                      # the whole connector against a bundled demo org, no accounts needed

Against your org (credentials from SALESFORCE_* variables, --credentials FILE or --secret-id ID):
  npx saddledata discover
  npx saddledata sync --objects Account,Contact
  npx saddledata load --file accounts.csv --object Account --operation upsert --external-id ERP_Id__c
  npx saddledata status

Run \`saddledata <command> --help\` for each command's options and examples.`,
    );
  program.addCommand(demoCommand(context));
  program.addCommand(discoverCommand(context));
  program.addCommand(syncCommand(context));
  program.addCommand(loadCommand(context));
  program.addCommand(statusCommand(context));
  registerEmulatorCommand(program).addHelpText(
    "after",
    `
Examples:
  npx saddledata emulator                       # the demo org on http://127.0.0.1:8383 until Ctrl-C
  npx saddledata emulator --port 0 --seed 7     # a free port, another seeded org

Point the other commands at it with the credentials it prints:
  SALESFORCE_LOGIN_URL=http://127.0.0.1:8383 SALESFORCE_CLIENT_ID=saddledata-demo \\
  SALESFORCE_CLIENT_SECRET=saddledata-demo-secret SALESFORCE_USERNAME=demo@saddledata.dev \\
  SALESFORCE_PASSWORD=demo-password SALESFORCE_SECURITY_TOKEN=demo-token npx saddledata sync`,
  );
  // Every command: our own error line instead of commander's, and no process.exit from inside commander.
  const configure = (command: Command) => {
    command
      .exitOverride()
      .showSuggestionAfterError(true)
      .configureOutput({
        writeOut: (text) => context.terminal.stdout.write(text),
        writeErr: (text) => context.terminal.stderr.write(text),
        outputError: () => undefined,
      });
    for (const sub of command.commands) configure(sub);
  };
  configure(program);
  return program;
}

/** Parse and run one command line; resolves to the exit status. */
export async function runCli(argv: string[], terminal: Terminal = processTerminal()): Promise<ExitCode> {
  const context: Context = { terminal, exitCode: EXIT.ok, redact: (text) => text };
  const verbose = argv.includes("--verbose");
  const program = createProgram(context);
  try {
    await program.parseAsync(argv);
    return context.exitCode;
  } catch (error) {
    if (error instanceof CommanderError && error.exitCode === 0) return EXIT.ok;
    context.progress?.abandon();
    const report = reportError(error, context.redact);
    const hint = error instanceof CommanderError ? ` (see saddledata ${commandName(argv)}--help)` : "";
    terminal.stderr.write(`saddledata: ${report.line}${hint}\n`);
    if (verbose && report.stack) terminal.stderr.write(`${report.stack}\n`);
    return report.exitCode;
  }
}

function commandName(argv: string[]): string {
  const known = new Set(["demo", "discover", "sync", "load", "status", "emulator"]);
  const name = argv.slice(2).find((arg) => known.has(arg));
  return name ? `${name} ` : "";
}
