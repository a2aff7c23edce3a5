/** `saddledata status`: each object's cursor and last run, and the most recent load claims. */
import { Command, CommanderError } from "commander";
import { EXIT } from "../exit-codes";
import { addOutputOptions, addStorageOptions, STORAGE_HELP } from "../options";
import type { SessionOptions } from "../session";
import { type CommandContext, print, withSession } from "./command-context";

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
        const { statusReport, statusText } = await import("../status-report");
        const report = await statusReport(session.env, session.storage, { loads: options.loads });
        print(context, options, report, statusText(report));
        return EXIT.ok;
      });
    });
}
