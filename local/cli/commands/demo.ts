/** `saddledata demo`: the whole connector against the bundled demo org and embedded services. */
import { Command } from "commander";
import { demoText } from "../../demo/text";
import { cliLog, cliMetrics } from "../cli-log";
import { EXIT } from "../exit-codes";
import { type CommandContext, onInterrupt, print, progressOf } from "./command-context";

export function demoCommand(context: CommandContext): Command {
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
      const { runDemo } = await import("../../demo/demo");
      const report = await runDemo({
        ...(options.stateDir === undefined ? {} : { stateDir: options.stateDir }),
        keep: options.keep === true,
        progress,
        log: cliLog(context.terminal, options.verbose === true),
        metrics: cliMetrics(context.terminal, "demo", options.verbose === true),
        onInterrupt: (cleanup) => onInterrupt(context, cleanup),
      });
      print(context, options, report, demoText(report));
      context.exitCode = report.ok ? EXIT.ok : EXIT.failed;
    });
}
