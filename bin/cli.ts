import { Command } from "commander";

const program = new Command()
  .name("saddledata")
  .description(
    "SaddleData Salesforce connector: sync Salesforce objects to S3 and load S3 files into Salesforce.",
  )
  .showHelpAfterError();

await program.parseAsync(process.argv);
