import { describe, expect, it } from "vitest";
import { ConfigurationError } from "../../../functions/errors";
import { parseCredentials, secretValuesOf } from "../../../functions/salesforce/credentials";

const password = {
  clientId: "cid",
  clientSecret: "very-secret-value",
  username: "u@example.com",
  password: "hunter2-password",
  securityToken: "tok-123456",
};

describe("credentials", () => {
  it("defaults to the password flow against login.salesforce.com", () => {
    const credentials = parseCredentials(JSON.stringify(password), "test");
    expect(credentials.authFlow).toBe("password");
    expect(credentials.loginUrl).toBe("https://login.salesforce.com");
  });

  it("keeps a sandbox or My Domain login URL without its trailing slash", () => {
    const credentials = parseCredentials({ ...password, loginUrl: "https://test.salesforce.com/" }, "test");
    expect(credentials.loginUrl).toBe("https://test.salesforce.com");
  });

  it("names every missing field and never echoes a secret value", () => {
    // Prepare
    const input = { clientId: "cid", clientSecret: "very-secret-value", password: "hunter2-password" };

    // Act
    const error = (() => {
      try {
        parseCredentials(input, "secret prod/salesforce");
      } catch (caught) {
        return caught as Error;
      }
    })();

    // Assess
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error?.message).toContain("username is missing");
    expect(error?.message).toContain("secret prod/salesforce");
    expect(error?.message).not.toContain("very-secret-value");
    expect(error?.message).not.toContain("hunter2-password");
  });

  it("rejects an unknown flow and text that is not JSON", () => {
    expect(() => parseCredentials({ ...password, authFlow: "saml" }, "t")).toThrow(/authFlow must be one of/);
    expect(() => parseCredentials("{not json", "t")).toThrow(/not valid JSON/);
  });

  it("supports the client credentials and JWT flows with their own required fields", () => {
    expect(
      parseCredentials({ clientId: "c", clientSecret: "s", authFlow: "client_credentials" }, "t").authFlow,
    ).toBe("client_credentials");
    expect(() => parseCredentials({ clientId: "c", authFlow: "jwt", username: "u" }, "t")).toThrow(
      /privateKey is missing/,
    );
  });

  it("lists the secret values of each flow for scrubbing", () => {
    expect(secretValuesOf(parseCredentials(password, "t")).sort()).toEqual(
      ["hunter2-password", "tok-123456", "very-secret-value"].sort(),
    );
  });
});
