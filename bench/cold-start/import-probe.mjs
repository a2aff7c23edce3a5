// Imports one Lambda bundle in this fresh process and prints how long the import took (ms) and the
// process's resident memory afterwards (MB): what a cold Lambda holds before its first event.
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";

const started = performance.now();
const module = await import(pathToFileURL(process.argv[2]).href);
const ms = performance.now() - started;
if (typeof module.handler !== "function") throw new Error(`${process.argv[2]} exports no handler`);
const rssMb = process.memoryUsage().rss / 2 ** 20;
process.stdout.write(`${JSON.stringify({ importMs: ms, rssMb })}\n`);
