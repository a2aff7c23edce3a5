/**
 * The names of the commands an AWS SDK client sends (`ScanCommand`, `QueryCommand`…), recorded by a
 * middleware on the real client: the requests still reach the real (embedded) service. Tests use it to
 * show which reads a code path makes, e.g. that `saddledata status` issues no Scan.
 */
interface MiddlewareClient {
  middlewareStack: {
    add(
      middleware: (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => unknown,
      options: { step: "initialize"; name: string },
    ): void;
    remove(name: string): boolean;
  };
}

export interface RecordedCommands {
  /** Command names in the order sent, e.g. `["GetItemCommand", "QueryCommand"]`. */
  readonly names: string[];
  /** Stop recording (the client keeps working). */
  dispose(): void;
}

let recorders = 0;

export function recordCommands(client: object): RecordedCommands {
  const names: string[] = [];
  const name = `recordCommands-${++recorders}`;
  const stack = (client as MiddlewareClient).middlewareStack;
  stack.add(
    (next, context) => async (args: unknown) => {
      names.push(context.commandName ?? "unknown");
      return next(args);
    },
    { step: "initialize", name },
  );
  return { names, dispose: () => void stack.remove(name) };
}
