// local/cli/commands/: one file per command (demo, discover, sync, load, status, query) and what they share
/**
 * What every command shares: the context it runs in (terminal, progress, exit status, redactor) and
 * the steps they all take (their progress, printing text or --json, opening and closing a session,
 * stopping cleanly on Ctrl-C).
 */
import type { ExitCode } from "../exit-codes";
import type { OutputOptions } from "../options";
import { createProgress, type Progress } from "../progress";
import type { Session, SessionOptions } from "../session";
import type { Terminal } from "../terminal";

export interface CommandContext {
  terminal: Terminal;
  /** The command's progress, once it has one (an error abandons the step in progress). */
  progress?: Progress;
  exitCode: ExitCode;
  redact: (text: string) => string;
}

export function progressOf(context: CommandContext, options: OutputOptions): Progress {
  context.progress ??= createProgress(context.terminal, { quiet: options.json === true });
  return context.progress;
}

export function print(context: CommandContext, options: OutputOptions, report: unknown, text: string): void {
  const out = options.json ? `${JSON.stringify(report, null, 2)}\n` : text;
  context.terminal.stdout.write(context.redact(out));
}

export async function withSession(
  context: CommandContext,
  options: SessionOptions,
  needs: { credentials: boolean },
  work: (session: Session) => Promise<ExitCode>,
): Promise<void> {
  const { openSession } = await import("../session");
  const session = await openSession(options, context.terminal, needs);
  context.redact = session.redact;
  const release = onInterrupt(context, () => session.stop());
  try {
    context.exitCode = await work(session);
  } finally {
    release();
    await session.stop();
  }
}

/**
 * Ctrl-C (or a scheduler's SIGTERM) runs `cleanup` before the process ends, so the embedded services
 * close their files; exit status 130, as shells report an interrupt. Returns the unregistering function.
 */
export function onInterrupt(context: CommandContext, cleanup: () => Promise<void>): () => void {
  const interrupted = () => {
    context.progress?.abandon();
    context.terminal.stderr.write("\nInterrupted: stopping.\n");
    cleanup().finally(() => process.exit(130));
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  return () => {
    process.off("SIGINT", interrupted);
    process.off("SIGTERM", interrupted);
  };
}

/** The region the state machines' ARNs name: the embedded services', or the AWS one in use. */
export function regionOf(session: Session, options: SessionOptions, terminal: Terminal): string {
  return (
    session.region ??
    options.region ??
    terminal.env.AWS_REGION ??
    terminal.env.AWS_DEFAULT_REGION ??
    "us-east-1"
  );
}
