import { Signals } from '../jobs/signals.js';
import { unionScope, type WakeScope } from '../loops/wake-scope.js';

/** A wake-up from one replica to the others; like Signals, only a latency aid (the store holds the facts). */
export type ClusterMessage =
  /** `scope`: the loops it concerns (absent: every loop). */
  { kind: 'wake'; scope?: WakeScope } | { kind: 'node'; id: string } | { kind: 'job'; id: string };

/** Carries wake-ups between the server replicas sharing one database. */
export interface ClusterBus {
  /** Sends to every other replica (never back to this one). */
  publish(message: ClusterMessage): void;
  /** Calls `handler` with each message another replica publishes. */
  subscribe(handler: (message: ClusterMessage) => void): void;
}

/** One server alone (SQLite): nobody else to tell. */
export const soloBus: ClusterBus = { publish: () => undefined, subscribe: () => undefined };

/**
 * Signals that also reach the other replicas: work assigned to a node by the replica that holds
 * the scheduler wakes the agent's long-poll on whichever replica it waits, and a job's change
 * ends log streams on every replica.
 */
export class ClusterSignals extends Signals {
  constructor(private readonly bus: ClusterBus) {
    super();
    bus.subscribe((m) => {
      if (m.kind === 'node') super.nodeWork(m.id);
      else if (m.kind === 'job') super.jobChanged(m.id);
    });
  }

  override nodeWork(nodeId: string): void {
    super.nodeWork(nodeId);
    this.bus.publish({ kind: 'node', id: nodeId });
  }

  override jobChanged(jobKey: string): void {
    super.jobChanged(jobKey);
    this.bus.publish({ kind: 'job', id: jobKey });
  }
}

/**
 * The server's `wake`: wakes this replica's loops at once and the other replicas' loops through
 * the bus, one message per turn of the event loop however many changes asked for it. A wake-up
 * may name the loops it concerns (see WakeScope); the message covers every loop any of them woke.
 */
export function clusterWake(
  bus: ClusterBus,
  wakeLocal: (scope?: WakeScope) => void,
): (scope?: WakeScope) => void {
  // The loops this turn's message concerns (undefined: every loop), while one is pending.
  let pending = false;
  let asked: WakeScope | undefined;
  bus.subscribe((m) => {
    if (m.kind === 'wake') wakeLocal(m.scope);
  });
  return (scope) => {
    wakeLocal(scope);
    asked = pending ? unionScope(asked, scope) : scope;
    if (pending) return;
    pending = true;
    setImmediate(() => {
      pending = false;
      bus.publish(asked ? { kind: 'wake', scope: asked } : { kind: 'wake' });
    });
  };
}
