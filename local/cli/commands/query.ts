/** `saddledata query`: SQL over the local lake (each object's current state and change log) with DuckDB. */
import { Command } from "commander";
import { EXIT } from "../exit-codes";
import { addOutputOptions, addStorageOptions, STORAGE_HELP } from "../options";
import type { SessionOptions } from "../session";
import { type CommandContext, withSession } from "./command-context";

export function queryCommand(context: CommandContext): Command {
  const command = new Command("query")
    .description(
      "Run SQL over the local lake with embedded DuckDB: each synced object's current state (one row per live record, e.g. account), its change log (every landed row of every run, e.g. account_changes) and its history (one row per version of each record, e.g. account_history).",
    )
    .argument("<sql>", "the SQL to run (DuckDB's dialect; quote it for your shell)");
  addStorageOptions(command);
  addOutputOptions(command);
  return command
    .addHelpText(
      "after",
      `
Tables (names lower case):
  <object>            the current state: one row per live record, its latest version, deleted
                      records absent; columns are the fields, lower case (account.annualrevenue)
  <object>_changes    the change log: every row each committed run landed, with _run_id and the
                      partition columns dt (the run's date) and run
  <object>_history    one row per version of each record: its fields, valid_from, valid_to (null
                      for the current version) and is_deleted
  The current state is brought up to date after each sync; the change log reads the runs' files.
  Quote names SQL reserves: SELECT count(*) FROM "case", "user".

Examples:
  npx saddledata query "SELECT count(*) AS n FROM account"
  npx saddledata query --state-dir ./demo-state --connection demo \\
    "SELECT name, annualrevenue FROM account ORDER BY annualrevenue DESC NULLS LAST LIMIT 5"
  npx saddledata query --json "SELECT run, count(*) AS n FROM contact_changes GROUP BY run"
  npx saddledata query "SELECT name, valid_from, valid_to FROM account_history WHERE id = '001…'"

--json prints one JSON array of row objects: integers and decimals as JSON numbers with every digit,
dates as "YYYY-MM-DD", timestamps as ISO-8601 UTC ("2024-04-16T19:00:00.000Z"), NULL as null.
Exit status 2 when the SQL is wrong (DuckDB's message says why) or the lake is empty.
${STORAGE_HELP}`,
    )
    .action(async (sql: string, options: SessionOptions) => {
      await withSession(context, options, { credentials: false }, async (session) => {
        const { queryText, runQuery } = await import("../query-run");
        const result = await runQuery(session.runtime, sql, session.storage);
        const out = options.json ? `${JSON.stringify(result.rows, null, 2)}\n` : queryText(result);
        context.terminal.stdout.write(context.redact(out));
        for (const behind of result.behind) {
          context.terminal.stderr.write(
            `Note: ${behind.table} does not have the last ${behind.runs === 1 ? "committed run" : `${behind.runs} committed runs`} yet (not merged); its change log does.\n`,
          );
        }
        return EXIT.ok;
      });
    });
}
