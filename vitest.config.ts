import { defineConfig } from "vitest/config";

/**
 * Three tiers, one `vitest run` (npm test) for all of them:
 * - unit: in memory, no sockets (test/support/unit-guard.ts refuses them): `npm run test:unit`.
 * - integration: files named *.integration.test.ts talk to the emulator, s3rver and dynalite, run the
 *   command line and the synthesized state machines: `npm run test:integration`.
 * - reliability: the fault, crash and concurrency campaigns under test/reliability/:
 *   `npm run test:reliability`.
 */
const INTEGRATION = "test/**/*.integration.test.ts";
const RELIABILITY = "test/reliability/**/*.test.ts";

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["test/**/*.test.ts"],
          exclude: [INTEGRATION, RELIABILITY],
          setupFiles: ["test/support/unit-guard.ts"],
        },
      },
      { extends: true, test: { name: "integration", include: [INTEGRATION], exclude: [RELIABILITY] } },
      { extends: true, test: { name: "reliability", include: [RELIABILITY] } },
    ],
  },
});
