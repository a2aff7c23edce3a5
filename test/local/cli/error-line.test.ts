import { CommanderError } from "commander";
import { describe, expect, it } from "vitest";
import { ConfigurationError, DataError, TransientError } from "../../../functions/errors";
import { reportError } from "../../../local/cli/error-line";
import { EXIT } from "../../../local/cli/exit-codes";
import { redactor } from "../../../local/cli/session";

describe("reportError", () => {
  it("gives input mistakes their message on one line, exit 2, no stack", () => {
    // Act
    const configuration = reportError(
      new ConfigurationError("Unknown object Acount:\n  check the spelling."),
    );
    const data = reportError(new DataError("line 3: not a number", { line: 3 }));
    const usage = reportError(
      new CommanderError(1, "commander.unknownOption", "error: unknown option '--x'"),
    );

    // Assess
    expect(configuration).toEqual({
      line: "Unknown object Acount: check the spelling.",
      exitCode: EXIT.usage,
    });
    expect(data).toEqual({ line: "line 3: not a number", exitCode: EXIT.usage });
    expect(usage).toEqual({ line: "unknown option '--x'", exitCode: EXIT.usage });
  });

  it("names other failures, keeps the stack of unexpected ones for --verbose, and masks secrets", () => {
    // Prepare
    const redact = redactor(["s3cr3t-value"]);

    // Act
    const transient = reportError(new TransientError("Salesforce answered 503"));
    const bug = reportError(new TypeError("cannot read s3cr3t-value of undefined"), redact);

    // Assess
    expect(transient).toEqual({ line: "TransientError: Salesforce answered 503", exitCode: EXIT.failed });
    expect(bug.exitCode).toBe(EXIT.failed);
    expect(bug.line).toBe(
      "TypeError: cannot read [redacted] of undefined (run again with --verbose for details)",
    );
    expect(bug.stack).toContain("at ");
    expect(bug.stack).not.toContain("s3cr3t-value");
  });
});
