/** `saddledata discover`: describe the org and write the catalog to the bucket. */
import { Command } from "commander";
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
import { type CommandContext, print, progressOf, withSession } from "./command-context";

export function discoverCommand(context: CommandContext): Command {
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
        const { discoverText, runDiscover } = await import("../discover-report");
        const report = await runDiscover(session.runtime);
        step.succeed(`catalog v${report.catalogVersion}, ${report.objects.length} objects`);
        print(context, options, report, discoverText(report));
        return report.failed.length > 0 ? EXIT.failed : EXIT.ok;
      });
    });
}
