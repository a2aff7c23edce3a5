#!/usr/bin/env node
// bin/: entry points: the saddledata command line and the CDK app (app.ts)
// The `saddledata` command. The runtime is TypeScript, loaded through tsx so that the command
// runs from a plain checkout with no build step. npm scripts and npx put the project's pinned
// Node 22 first on PATH; a bare system Node older than that is refused with a hint.
const major = Number(process.versions.node.split(".")[0]);
if (major < 22) {
  process.stderr.write(
    `saddledata needs Node.js 22 or later (this is ${process.version}). ` +
      "Run it through npm, which uses the project's pinned Node 22: `npx saddledata --help` or `npm run saddledata -- --help`.\n",
  );
  process.exit(2);
}
const { register } = await import("tsx/esm/api");
register();
await import("./cli.ts");
