/**
 * Local mode's inbound rule: every object the embedded S3 reports created becomes the EventBridge
 * "Object Created" event the deployed bucket would emit, handed to the runner's load trigger (which
 * applies the stack's own event pattern and execution naming). A command waits for the load of a file
 * it dropped; loads nobody waits for are still tracked, so shutdown waits for them too.
 */
import type { LocalS3, ObjectCreatedEvent } from "../aws/s3";
import { toEventBridgeEvent } from "../aws/s3-event";
import type { LocalLoadTrigger, LocalRunner } from "../stepfunctions/state-machine";
import { LOCAL_ACCOUNT } from "../stepfunctions/synthesized-stack";

export interface InboundLoads {
  /** The load the next object created at `key` triggers. Call before writing the object. */
  expect(key: string): Promise<LocalLoadTrigger>;
  /** Stop listening and wait for every load already triggered. */
  stop(): Promise<void>;
}

interface Waiter {
  resolve(trigger: LocalLoadTrigger): void;
  reject(error: unknown): void;
}

export function watchInbound(s3: LocalS3, runner: LocalRunner, region: string): InboundLoads {
  const waiters = new Map<string, Waiter[]>();
  const inFlight = new Set<Promise<unknown>>();
  const unexpected: unknown[] = [];

  const onCreated = (created: ObjectCreatedEvent): void => {
    const event = toEventBridgeEvent(created, { account: LOCAL_ACCOUNT, region });
    const trigger = runner.triggerLoad(event);
    const queue = waiters.get(created.key);
    const waiter = queue?.shift();
    if (queue?.length === 0) waiters.delete(created.key);
    const settled = trigger.then(
      (result) => waiter?.resolve(result),
      (error: unknown) => {
        // Nobody waits for this load: the error is kept and raised by stop().
        if (waiter) waiter.reject(error);
        else unexpected.push(error);
      },
    );
    inFlight.add(settled);
    void settled.finally(() => inFlight.delete(settled));
  };
  const unsubscribe = s3.onObjectCreated(onCreated);

  return {
    expect(key) {
      const load = new Promise<LocalLoadTrigger>((resolve, reject) => {
        const queue = waiters.get(key) ?? [];
        queue.push({ resolve, reject });
        waiters.set(key, queue);
      });
      // The caller awaits it once the object is written; a failure before then is not "unhandled".
      load.catch(() => undefined);
      return load;
    },
    async stop() {
      unsubscribe();
      while (inFlight.size > 0) await Promise.all([...inFlight]);
      const [first] = unexpected;
      if (first !== undefined) throw first;
    },
  };
}
