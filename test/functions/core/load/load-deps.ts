import type { LoadDeps } from "../../../../functions/core/load/load-deps";
import { LoadSettingsSchema } from "../../../../functions/core/settings";
import type { Runtime } from "../../../../functions/runtime/runtime";

/** Load dependencies over a runtime (as the load handler builds them), with test overrides. */
export function loadDeps(
  runtime: Runtime,
  overrides: Partial<LoadDeps> & { settings?: Record<string, unknown> } = {},
): LoadDeps {
  const { settings, ...rest } = overrides;
  return {
    salesforce: () => runtime.salesforce(),
    store: runtime.store,
    storeFor: (bucket) => (bucket === runtime.config.bucket ? runtime.store : runtime.storeFor(bucket)),
    state: runtime.state,
    layout: runtime.layout,
    settings: LoadSettingsSchema.parse({ ...runtime.config.settings.load, ...settings }),
    reserve: { dailyApiRequests: 10, dailyBulkBatches: 10 },
    log: runtime.log,
    ...rest,
  };
}
