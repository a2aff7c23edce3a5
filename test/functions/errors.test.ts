import { describe, expect, it } from "vitest";
import { ConfigurationError, DataError, describeError, TransientError } from "../../functions/errors";

describe("error hierarchy", () => {
  it("gives each error an explicit name that survives minification", () => {
    const error = new ConfigurationError("Unknown object Acount: check the object list", {
      object: "Acount",
    });
    expect(error.name).toBe("ConfigurationError");
    expect(error).toBeInstanceOf(Error);
    expect(new TransientError("x").name).toBe("TransientError");
  });

  it("serialises to a small JSON summary with location for data errors", () => {
    const error = new DataError("Unterminated quoted field", { line: 12, column: 3 });
    expect(describeError(error)).toEqual({
      name: "DataError",
      message: "Unterminated quoted field",
      line: 12,
      column: 3,
    });
    expect(describeError("boom")).toEqual({ name: "Error", message: "boom" });
  });
});
