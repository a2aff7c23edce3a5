import { describe, expect, it } from "vitest";
import { ConfigurationError } from "../../../functions/errors";
import { jwtAudience, PRODUCTION_AUDIENCE, SANDBOX_AUDIENCE } from "../../../functions/salesforce/auth";
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
    const myDomain = "https://acme.my.salesforce.com";
    expect(
      parseCredentials(
        { clientId: "c", clientSecret: "s", authFlow: "client_credentials", loginUrl: myDomain },
        "t",
      ).authFlow,
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

  it("refuses the client credentials flow at the shared login hosts: it needs the org's My Domain", () => {
    // Prepare
    const flow = { clientId: "c", clientSecret: "s", authFlow: "client_credentials" };

    // Act
    const attempts = [undefined, "https://login.salesforce.com", "https://TEST.salesforce.com/"].map(
      (url) => () => parseCredentials(url === undefined ? flow : { ...flow, loginUrl: url }, "secret acme"),
    );

    // Assess
    for (const attempt of attempts) {
      expect(attempt).toThrow(
        /secret acme .*loginUrl: the client credentials flow needs your org's My Domain URL \(https:\/\/<your-domain>\.my\.salesforce\.com/,
      );
    }
  });

  it("derives the JWT audience: login for production and My Domains, test for sandboxes, or as given", () => {
    // Prepare
    const cases: Array<[string, string]> = [
      ["https://login.salesforce.com", PRODUCTION_AUDIENCE],
      ["https://acme.my.salesforce.com", PRODUCTION_AUDIENCE],
      ["https://acme.develop.my.salesforce.com", PRODUCTION_AUDIENCE],
      ["http://127.0.0.1:4567", PRODUCTION_AUDIENCE],
      ["https://test.salesforce.com", SANDBOX_AUDIENCE],
      ["https://acme--uat.sandbox.my.salesforce.com", SANDBOX_AUDIENCE],
      ["https://acme--uat.my.salesforce.com", SANDBOX_AUDIENCE],
      ["https://speed-ruby-1234.scratch.my.salesforce.com", SANDBOX_AUDIENCE],
    ];

    // Act
    const audiences = cases.map(([loginUrl]) => jwtAudience({ loginUrl }));
    const given = parseCredentials(
      {
        clientId: "c",
        authFlow: "jwt",
        username: "u",
        privateKey: "k",
        audience: "https://acme.my.site.com/customers",
      },
      "t",
    );

    // Assess
    expect(audiences).toEqual(cases.map(([, audience]) => audience));
    expect(jwtAudience(given as { loginUrl: string; audience?: string })).toBe(
      "https://acme.my.site.com/customers",
    );
  });
});
