import { describe, expect, it } from 'vitest';
import type { WakeScope } from '../loops/wake-scope.js';
import { clusterWake, type ClusterBus, type ClusterMessage } from './cluster-bus.js';

/** A bus that records what this replica publishes and lets the test deliver another replica's messages. */
function recordingBus(): ClusterBus & { sent: ClusterMessage[]; deliver(m: ClusterMessage): void } {
  const handlers: ((m: ClusterMessage) => void)[] = [];
  const sent: ClusterMessage[] = [];
  return {
    sent,
    publish: (m) => void sent.push(m),
    subscribe: (h) => void handlers.push(h),
    deliver: (m) => handlers.forEach((h) => h(m)),
  };
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('clusterWake', () => {
  it('wakes the named loops here at once and tells the other replicas all they concern, once per turn', async () => {
    const bus = recordingBus();
    const local: (WakeScope | undefined)[] = [];
    const wake = clusterWake(bus, (scope) => void local.push(scope));
    wake({ only: ['scheduler'] });
    wake({ only: ['scheduler', 'instances'] });
    expect(local).toEqual([{ only: ['scheduler'] }, { only: ['scheduler', 'instances'] }]);
    expect(bus.sent).toEqual([]);
    await turn();
    expect(bus.sent).toEqual([{ kind: 'wake', scope: { only: ['scheduler', 'instances'] } }]);
    wake({ except: ['node-pool', 'sweeps'] });
    wake({ only: ['sweeps'] });
    await turn();
    expect(bus.sent[1]).toEqual({ kind: 'wake', scope: { except: ['node-pool'] } });
  });

  it('a wake-up of every loop in the same turn makes the message one for every loop', async () => {
    const bus = recordingBus();
    const wake = clusterWake(bus, () => undefined);
    wake({ only: ['scheduler'] });
    wake();
    wake({ only: ['instances'] });
    await turn();
    expect(bus.sent).toEqual([{ kind: 'wake' }]);
    wake({ only: ['serving'] }); // the next turn starts afresh
    await turn();
    expect(bus.sent).toEqual([{ kind: 'wake' }, { kind: 'wake', scope: { only: ['serving'] } }]);
  });

  it("passes another replica's wake-up on with its scope (none: every loop)", () => {
    const bus = recordingBus();
    const local: (WakeScope | undefined)[] = [];
    clusterWake(bus, (scope) => void local.push(scope));
    bus.deliver({ kind: 'wake', scope: { only: ['scheduler'] } });
    bus.deliver({ kind: 'wake' });
    bus.deliver({ kind: 'node', id: 'n1' });
    expect(local).toEqual([{ only: ['scheduler'] }, undefined]);
    expect(bus.sent).toEqual([]);
  });
});
