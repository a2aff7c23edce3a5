/**
 * The control API under `/__emulator/` for tests and benchmarks that run the emulator in another
 * process: generate rows, touch rows, add fields (with values), set the clock, empty the recycle bin,
 * tune the delete log, manage faults, read counters, set limits, expire tokens. JSON in and out; not
 * part of the Salesforce surface and never counted.
 */
import { EmulatorInputError } from "../errors";
import type { FieldDef, FieldType, Org } from "../org/types";
import { OrgError } from "../org/types";
import type { CallCounter } from "./call-counter";
import type { FaultRule, Faults } from "./faults";
import type { Limits } from "./limits";
import { json, type Reply } from "./reply";
import type { Sessions } from "./sessions";

export interface ControlTargets {
  org: Org;
  faults: Faults;
  calls: CallCounter;
  limits: Limits;
  sessions: Sessions;
}

type Body = Record<string, unknown>;

const badRequest = (message: string): Reply => json(400, { error: message });

function text(body: Body, key: string): string {
  const value = body[key];
  if (typeof value !== "string" || value === "")
    throw new EmulatorInputError(`'${key}' (a string) is required.`);
  return value;
}

function optionalNumber(body: Body, key: string): number | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value))
    throw new EmulatorInputError(`'${key}' must be a number.`);
  return value;
}

function ruleJson(rule: FaultRule): Body {
  return { ...rule, path: rule.path instanceof RegExp ? rule.path.source : rule.path };
}

export function controlHandler(targets: ControlTargets) {
  const { org, faults, calls, limits, sessions } = targets;
  const routes: Record<string, (body: Body) => Reply> = {
    "GET /clock": () => json(200, { now: org.clock.now(), iso: new Date(org.clock.now()).toISOString() }),
    "POST /clock": (body) => {
      const now = optionalNumber(body, "now");
      const advanceMs = optionalNumber(body, "advanceMs");
      if (now !== undefined) org.clock.set(now, { frozen: body.frozen === true });
      if (advanceMs !== undefined) org.clock.advance(advanceMs);
      if (body.unfreeze === true) org.clock.unfreeze();
      return json(200, { now: org.clock.now() });
    },
    "POST /generate": (body) => {
      const object = text(body, "object");
      const count = optionalNumber(body, "count") ?? 0;
      org.generate(object, count, {
        seed: optionalNumber(body, "seed"),
        from: optionalNumber(body, "from"),
        to: optionalNumber(body, "to"),
      });
      return json(200, { object, count: org.count(object) });
    },
    "POST /touch": (body) => {
      const object = text(body, "object");
      const ids = Array.isArray(body.ids) ? body.ids.map(String) : [];
      org.touch(object, ids, { at: optionalNumber(body, "at") });
      return json(200, { touched: ids.length });
    },
    "POST /fields": (body) => {
      const object = text(body, "object");
      const field = body.field as Partial<FieldDef> & { name: string; type: FieldType };
      if (typeof field !== "object" || field === null) throw new EmulatorInputError("'field' is required.");
      const values = body.values;
      if (values !== undefined && (typeof values !== "object" || values === null || Array.isArray(values))) {
        throw new EmulatorInputError("'values' must be an object of record Id to value.");
      }
      return json(
        200,
        org.addField(object, field, { values: values as Record<string, unknown> | undefined }),
      );
    },
    "DELETE /fields": (body) => {
      org.removeField(text(body, "object"), text(body, "field"));
      return json(200, { removed: true });
    },
    "POST /recycle-bin": (body) => {
      if (body.empty !== true) throw new EmulatorInputError("'empty': true is required.");
      const object = body.object === undefined ? undefined : text(body, "object");
      return json(200, org.emptyRecycleBin(object));
    },
    "GET /delete-log": () => json(200, org.deleteLogSettings()),
    "POST /delete-log": (body) =>
      json(
        200,
        org.deleteLogSettings({
          maxIds: optionalNumber(body, "maxIds"),
          coverageLagMs: optionalNumber(body, "coverageLagMs"),
        }),
      ),
    "POST /lock-rows": (body) => {
      const ids = Array.isArray(body.ids) ? body.ids.map(String) : [];
      org.lockRows(ids, optionalNumber(body, "times"));
      return json(200, { locked: ids.length });
    },
    "GET /faults": () => json(200, { rules: faults.rules().map(ruleJson), fired: faults.fired() }),
    "POST /faults": (body) => json(200, { id: faults.add(body as unknown as FaultRule) }),
    "DELETE /faults": () => {
      faults.clear();
      faults.clearFired();
      return json(200, { cleared: true });
    },
    "GET /calls": () => json(200, calls.toJSON()),
    "DELETE /calls": () => {
      calls.reset();
      return json(200, calls.toJSON());
    },
    "GET /limits": () => json(200, limits.toJSON()),
    "POST /limits": (body) => {
      const name = text(body, "name");
      const remaining = optionalNumber(body, "remaining");
      if (remaining === undefined) throw new EmulatorInputError("'remaining' is required.");
      limits.set(name, remaining);
      return json(200, { [name]: limits.get(name) });
    },
    "POST /expire-tokens": () => {
      sessions.expireAll();
      return json(200, { expired: true });
    },
  };

  return async (method: string, path: string, readBody: () => Promise<unknown>): Promise<Reply> => {
    const route = routes[`${method} ${path === "" ? "/" : path}`];
    if (route === undefined) return json(404, { error: `No control route ${method} /__emulator${path}` });
    let body: unknown;
    try {
      body = method === "GET" ? {} : await readBody();
    } catch (error) {
      if (error instanceof SyntaxError) return badRequest(`Malformed JSON: ${error.message}`);
      throw error;
    }
    if (typeof body !== "object" || body === null || Array.isArray(body))
      return badRequest("Expected a JSON object.");
    try {
      return route(body as Body);
    } catch (error) {
      if (error instanceof EmulatorInputError || error instanceof OrgError || error instanceof RangeError) {
        return badRequest(error.message);
      }
      throw error;
    }
  };
}
