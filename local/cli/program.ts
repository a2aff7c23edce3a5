// local/cli/: the saddledata command line: the program, and the runs and reports its commands use
/**
 * The `saddledata` program: demo, discover, sync, load, status, query (commands/, one file each) and the
 * emulator (emulator/command.ts). Each command prints a readable summary (or one JSON document with
 * --json), exits 0 / 1 / 2 (see exit-codes.ts), and reports any error as one line on stderr. What
 * needs the CDK (the synthesized state machines) is imported when a command runs, so help and input
 * mistakes answer at once.
 */
import { Command, CommanderError } from "commander";
import { registerEmulatorCommand } from "../../emulator/command";
import type { CommandContext } from "./commands/command-context";
import { demoCommand } from "./commands/demo";
import { discoverCommand } from "./commands/discover";
import { loadCommand } from "./commands/load";
import { queryCommand } from "./commands/query";
import { statusCommand } from "./commands/status";
import { syncCommand } from "./commands/sync";
import { reportError } from "./error-line";
import { EXIT, type ExitCode } from "./exit-codes";
import { processTerminal, type Terminal } from "./terminal";

export function createProgram(context: CommandContext): Command {
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
  npx saddledata query "SELECT name, annualrevenue FROM account ORDER BY annualrevenue DESC LIMIT 5"

Run \`saddledata <command> --help\` for each command's options and examples.`,
    );
  program.addCommand(demoCommand(context));
  program.addCommand(discoverCommand(context));
  program.addCommand(syncCommand(context));
  program.addCommand(loadCommand(context));
  program.addCommand(statusCommand(context));
  program.addCommand(queryCommand(context));
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
  const context: CommandContext = { terminal, exitCode: EXIT.ok, redact: (text) => text };
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
  const known = new Set(["demo", "discover", "sync", "load", "status", "query", "emulator"]);
  const name = argv.slice(2).find((arg) => known.has(arg));
  return name ? `${name} ` : "";
}
