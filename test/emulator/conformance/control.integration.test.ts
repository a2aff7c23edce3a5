import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../../emulator/index";
import { type Api, api, passwordToken, startTestEmulator } from "./harness";

let emulator: Emulator;
let client: Api;

beforeAll(async () => {
  emulator = await startTestEmulator();
  client = api(emulator, await passwordToken(emulator));
});

afterAll(async () => {
  await emulator.stop();
});

async function control(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${emulator.url}/__emulator${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

describe("control API (/__emulator)", () => {
  it("generates rows, touches them, adds a field, sets the clock — none of it counted as API calls", async () => {
    // Prepare
    emulator.calls.reset();
    const before = emulator.org.count("Invoice__c");
    // Act
    const generated = await (await control("POST", "/generate", { object: "Invoice__c", count: 25 })).json();
    const id = emulator.org
      .query("SELECT Id FROM Invoice__c LIMIT 1", { includeDeleted: false })
      .rows()
      [Symbol.iterator]()
      .next().value?.id as string;
    const touched = await control("POST", "/touch", {
      object: "Invoice__c",
      ids: [id],
      at: Date.UTC(2020, 0, 1),
    });
    const field = await (
      await control("POST", "/fields", {
        object: "Invoice__c",
        field: { name: "Region__c", type: "string", length: 40 },
      })
    ).json();
    const clock = await (await control("POST", "/clock", { now: Date.UTC(2030, 5, 1), frozen: true })).json();
    // Assess
    expect(generated).toEqual({ object: "Invoice__c", count: before + 25 });
    expect(touched.status).toBe(200);
    expect(emulator.org.get("Invoice__c", id)?.SystemModstamp).toBe(Date.UTC(2020, 0, 1));
    expect(field).toMatchObject({ name: "Region__c", type: "string" });
    expect(clock).toEqual({ now: Date.UTC(2030, 5, 1) });
    expect(emulator.calls.total).toBe(0);
    emulator.org.clock.unfreeze();
  });

  it("adds and clears faults, and reports what fired", async () => {
    // Act
    const added = await (
      await control("POST", "/faults", { kind: "limits", action: { type: "serverUnavailable" } })
    ).json();
    const faulted = await client.get("limits/");
    const listed = (await (await control("GET", "/faults")).json()) as { rules: unknown[]; fired: unknown[] };
    await control("DELETE", "/faults");
    const cleared = (await (await control("GET", "/faults")).json()) as {
      rules: unknown[];
      fired: unknown[];
    };
    // Assess
    expect(added).toHaveProperty("id");
    expect(faulted.status).toBe(503);
    expect(listed.rules).toHaveLength(1);
    expect(listed.fired).toHaveLength(1);
    expect(cleared).toEqual({ rules: [], fired: [] });
  });

  it("reads and resets counters, sets and reads limits, expires tokens", async () => {
    // Prepare
    await client.get("limits/");
    // Act
    const calls = (await (await control("GET", "/calls")).json()) as { total: number };
    const reset = (await (await control("DELETE", "/calls")).json()) as { total: number };
    const set = await (await control("POST", "/limits", { name: "DailyApiRequests", remaining: 42 })).json();
    const expired = await control("POST", "/expire-tokens");
    const after = await client.get("limits/");
    // Assess
    expect(calls.total).toBeGreaterThan(0);
    expect(reset.total).toBe(0);
    expect(set).toEqual({ DailyApiRequests: { Max: 100000, Remaining: 42 } });
    expect(expired.status).toBe(200);
    expect(after.status).toBe(401);
    client = api(emulator, await passwordToken(emulator));
  });

  it("answers bad control requests with 400 and unknown ones with 404; /services cannot reach it", async () => {
    // Act
    const bad = await control("POST", "/generate", { count: 3 });
    const unknown = await control("GET", "/nothing");
    const viaServices = await client.get("/services/data/v62.0/__emulator/calls");
    // Assess
    expect(bad.status).toBe(400);
    expect(unknown.status).toBe(404);
    expect(viaServices.status).toBe(404);
  });
});
