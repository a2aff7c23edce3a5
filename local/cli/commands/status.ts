/**
 * `saddledata status`: each object's cursor, last commit, lag, records and last run, the next scheduled
 * run, the loads in flight and the most recent load claims.
 */
import { Command, CommanderError } from "commander";
import { scheduleProblem } from "../../../lib/config";
import { EXIT } from "../exit-codes";
import { addOutputOptions, addStorageOptions, STORAGE_HELP } from "../options";
import type { SessionOptions } from "../session";
import { type CommandContext, print, withSession } from "./command-context";

function scheduleExpression(value: string): string {
  const problem = scheduleProblem(value);
  if (problem !== undefined) {
    throw new CommanderError(2, "saddledata.invalidArgument", `--schedule ${problem}, got '${value}'.`);
  }
  return value;
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

export function statusCommand(context: CommandContext): Command {
  const command = new Command("status").description(
    "Show each object's cursor, last commit, lag, records of its last run, status, last error and lease, the next scheduled run, the loads in flight and the most recent load claims.",
  );
  addStorageOptions(command);
  addOutputOptions(command);
  return command
    .option("--loads <n>", "how many recent load claims to show", positiveInteger("loads"), 10)
    .option(
      "--schedule <expression>",
      "the connection's schedule, e.g. 'rate(1 hour)' or 'cron(0 2 * * ? *)' (default: the deployment config's, with its time zone)",
      scheduleExpression,
    )
    .addHelpText(
      "after",
      `
Examples:
  npx saddledata status
  npx saddledata status --state-dir ./demo-state --connection demo
  npx saddledata status --bucket my-lake --table saddledata-state --connection prod --json
  npx saddledata status --settings saddledata.config.json --connection prod --bucket my-lake --table saddledata-state
  npx saddledata status --schedule 'rate(1 hour)'

${STORAGE_HELP}`,
    )
    .action(async (options: SessionOptions & { loads: number; schedule?: string }) => {
      await withSession(context, options, { credentials: false }, async (session) => {
        const { statusReport, statusText } = await import("../status-report");
        const schedule =
          options.schedule === undefined
            ? session.schedule
            : { ...session.schedule, expression: options.schedule };
        const report = await statusReport(session.env, session.storage, { loads: options.loads, schedule });
        print(context, options, report, statusText(report));
        return EXIT.ok;
      });
    });
}
