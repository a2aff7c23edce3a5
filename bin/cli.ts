import { Command } from "commander";
import { registerEmulatorCommand } from "../emulator/command";

const program = new Command()
  .name("saddledata")
  .description(
    "SaddleData Salesforce connector: sync Salesforce objects to S3 and load S3 files into Salesforce.",
  )
  .showHelpAfterError();

registerEmulatorCommand(program);

await program.parseAsync(process.argv);
