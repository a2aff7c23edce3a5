/**
 * The state transitions a Standard execution is billed for, counted from a local execution: Step
 * Functions counts one each time a state runs (its StateEntered) and one for each retry of a state, in
 * inline Map iterations too; a Distributed Map's child executions are executions of their own, whose
 * states count the same way (their retries are not kept by the local runner, so they are not counted).
 */
interface CountedExecution {
  events: ReadonlyArray<{ type: string }>;
  /** A Distributed Map's child executions, when the runner reports them. */
  children?: ReadonlyArray<{ states: readonly string[] }>;
}

export interface TransitionCount {
  /** States entered, the execution's own and its children's. */
  states: number;
  retries: number;
  /** What Step Functions bills: states entered plus retries. */
  transitions: number;
}

export function countTransitions(execution: CountedExecution): TransitionCount {
  let states = 0;
  let retries = 0;
  for (const event of execution.events) {
    if (event.type === "StateEntered") states += 1;
    else if (event.type === "StateRetried") retries += 1;
  }
  for (const child of execution.children ?? []) states += child.states.length;
  return { states, retries, transitions: states + retries };
}
