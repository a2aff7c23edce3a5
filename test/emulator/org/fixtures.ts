import { demoObjects } from "../../../emulator/org/demo-schema";
import { createOrg, type EmulatorOrg } from "../../../emulator/org/org";

export const T0 = Date.UTC(2025, 0, 15, 12, 0, 0);

/** An org with the demo schema, no data but the admin user, and a frozen clock at T0. */
export function emptyDemoSchemaOrg(seed = 1): EmulatorOrg {
  return createOrg({ seed, now: T0, frozen: true, objects: demoObjects() });
}

/** Insert and return the new Id, failing the test with the errors when the insert fails. */
export function mustInsert(org: EmulatorOrg, objectName: string, input: Record<string, unknown>): string {
  const result = org.insert(objectName, input, "json");
  if (!result.success || !result.id)
    throw new Error(`insert ${objectName} failed: ${JSON.stringify(result.errors)}`);
  return result.id;
}
