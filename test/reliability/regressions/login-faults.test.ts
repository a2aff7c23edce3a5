import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Emulator, type FaultAction, startEmulator } from "../../../emulator/index";
import { ConfigurationError, TransientError } from "../../../functions/errors";
import { login } from "../../../functions/salesforce/auth";
import { parseCredentials } from "../../../functions/salesforce/credentials";

/**
 * Regression: the token endpoint failing the way a real org or network does. The sync campaign found
 * that a 503 SERVER_UNAVAILABLE answer became a ConfigurationError ("undefined: .") that nothing
 * retried, and that a connection dropped in the middle of the token answer killed the whole process
 * (an unhandled stream error inside jsforce's transport). Both are temporary and must be retried.
 */
describe("login when the token endpoint fails", () => {
  let emulator: Emulator;

  beforeAll(async () => {
    emulator = await startEmulator({});
  });

  afterAll(async () => {
    await emulator.stop();
  });

  beforeEach(() => {
    emulator.faults.clear();
  });

  const credentials = () => parseCredentials({ ...emulator.credentials, loginUrl: emulator.url }, "test");

  const temporary: Array<[string, FaultAction]> = [
    ["503 SERVER_UNAVAILABLE with Salesforce's JSON error array", { type: "serverUnavailable" }],
    ["a bare 502 from a load balancer", { type: "serverError", status: 502 }],
    ["a connection dropped in the middle of the answer", { type: "dropConnection", afterBytes: 40 }],
    ["a connection dropped before any byte of the body", { type: "dropConnection", afterBytes: 0 }],
  ];

  for (const [what, action] of temporary) {
    it(`is a TransientError, retried by the state machines: ${what}`, async () => {
      // Prepare
      emulator.faults.add({ kind: "oauth", action });

      // Act
      const attempt = login(credentials());

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(TransientError);
      await expect(attempt).rejects.toThrow(/temporary reason/);
      expect(emulator.faults.fired().at(-1)?.action).toBe(action.type);
    });
  }

  it("logs in on the next attempt once the endpoint recovers", async () => {
    // Prepare
    emulator.faults.add({ kind: "oauth", action: { type: "dropConnection", afterBytes: 10 } });
    await expect(login(credentials())).rejects.toBeInstanceOf(TransientError);

    // Act
    const session = await login(credentials());

    // Assess
    expect(session.accessToken).toMatch(/!/);
    expect(session.instanceUrl).toBe(emulator.url);
  });

  it("keeps a refused login a ConfigurationError that says what to check", async () => {
    // Prepare
    const wrong = parseCredentials(
      { ...emulator.credentials, loginUrl: emulator.url, password: "not-it-at-all" },
      "test",
    );

    // Act
    const attempt = login(wrong);

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ConfigurationError);
    await expect(attempt).rejects.toMatchObject({ code: "invalid_grant", status: 400 });
    await expect(attempt).rejects.toThrow(/check username, password and securityToken/);
    await expect(attempt).rejects.not.toThrow(/not-it-at-all/);
  });
});
