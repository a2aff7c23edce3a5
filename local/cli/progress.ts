/**
 * Progress on long steps, on stderr. On a terminal: one line redrawn in place (spinner, a bar when the
 * total is known, elapsed time). Elsewhere (CI logs, pipes): plain lines, only once a step has run for
 * a couple of seconds and then at most one a second, so quick commands print just their result.
 */
import type { Terminal } from "./terminal";

export interface ProgressStep {
  /** What is going on now; `done`/`total` draw a bar. */
  update(detail: string, counts?: { done: number; total: number }): void;
  /** The step ended well: one line with its result. */
  succeed(result: string): void;
  /** The step ended badly (or as a deliberate, expected failure): one line with why. */
  fail(result: string): void;
}

export interface Progress {
  step(label: string): ProgressStep;
  /** Stop a step left running by an error and clear its line, so the error starts on a clean line. */
  abandon(): void;
}

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const BAR_WIDTH = 20;
/** A plain step says it started only when it is still running after this long. */
const PLAIN_DELAY_MS = 2000;
const PLAIN_INTERVAL_MS = 1000;

function elapsed(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

function bar(done: number, total: number): string {
  const filled = total === 0 ? BAR_WIDTH : Math.round((Math.min(done, total) / total) * BAR_WIDTH);
  return `[${"#".repeat(filled)}${"-".repeat(BAR_WIDTH - filled)}] ${done}/${total}`;
}

const silentStep: ProgressStep = { update() {}, succeed() {}, fail() {} };

/** Progress that prints nothing (machine-readable output on a pipe). */
export const silentProgress: Progress = { step: () => silentStep, abandon() {} };

export function createProgress(terminal: Terminal, options: { quiet?: boolean } = {}): Progress {
  const stream = terminal.stderr;
  const tty = stream.isTTY === true && terminal.env.TERM !== "dumb";
  if (options.quiet && !tty) return silentProgress;
  // A pseudo-terminal without a size (script, some CI runners) reports 0 columns.
  const columns = () => (stream.columns !== undefined && stream.columns > 20 ? stream.columns : 100);
  return tty ? ttyProgress(stream, columns) : plainProgress(stream);
}

function plainProgress(stream: Terminal["stderr"]): Progress {
  let active: (() => void) | undefined;
  return {
    abandon: () => active?.(),
    step(label) {
      const started = Date.now();
      let announced = false;
      let lastLine = 0;
      let lastText = "";
      let pending = "";
      const announce = () => {
        announced = true;
        lastLine = Date.now();
        stream.write(`${label} ...${pending ? ` ${pending}` : ""}\n`);
        lastText = pending;
      };
      const timer = setTimeout(announce, PLAIN_DELAY_MS);
      timer.unref();
      const stop = () => {
        clearTimeout(timer);
        active = undefined;
      };
      active = stop;
      const end = (result: string) => {
        stop();
        stream.write(`${label}: ${result} (${elapsed(Date.now() - started)})\n`);
      };
      return {
        update(detail, counts) {
          const text = counts ? `${detail} (${counts.done}/${counts.total})` : detail;
          pending = text;
          if (!announced || text === lastText || Date.now() - lastLine < PLAIN_INTERVAL_MS) return;
          lastText = text;
          lastLine = Date.now();
          stream.write(`  ${text}\n`);
        },
        succeed: end,
        fail: end,
      };
    },
  };
}

function ttyProgress(stream: Terminal["stderr"], columns: () => number): Progress {
  const clear = "\r\x1b[2K";
  let active: (() => void) | undefined;
  return {
    abandon: () => active?.(),
    step(label) {
      const started = Date.now();
      let frame = 0;
      let detail = "";
      let counts: { done: number; total: number } | undefined;
      const draw = () => {
        const parts = [FRAMES[frame % FRAMES.length], label];
        if (counts) parts.push(bar(counts.done, counts.total));
        if (detail) parts.push(`· ${detail}`);
        parts.push(`(${elapsed(Date.now() - started)})`);
        stream.write(`${clear}${parts.join(" ").slice(0, columns() - 1)}`);
      };
      const timer = setInterval(() => {
        frame += 1;
        draw();
      }, 100);
      // The spinner must never keep the process alive on its own.
      timer.unref();
      const stop = () => {
        clearInterval(timer);
        active = undefined;
        stream.write(clear);
      };
      active = stop;
      draw();
      const end = (mark: string, result: string) => {
        stop();
        stream.write(`${mark} ${label}: ${result} (${elapsed(Date.now() - started)})\n`);
      };
      return {
        update(next, nextCounts) {
          detail = next;
          counts = nextCounts;
          draw();
        },
        succeed: (result) => end("✔", result),
        fail: (result) => end("✖", result),
      };
    },
  };
}
