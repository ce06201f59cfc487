import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NodeRecord } from '../../domain/nodes/node-record.js';
import type { Provider } from '../../providers/provider.js';
import {
  memoryLogger,
  registeredNode,
  testContext,
  type TestContext,
} from '../../../test/helpers/service-context.js';
import { LoopRunner } from './loop-runner.js';
import { nodeHealthLoop } from './node-health-loop.js';

const node = (id: string, provider: string): NodeRecord => registeredNode(id, { provider });

describe('node-health loop', () => {
  let t: TestContext;
  beforeEach(async () => (t = await testContext()));
  afterEach(() => t.close());

  it('one node that cannot be handled does not stop the others from being checked; silence is per server', async () => {
    const terminated: string[] = [];
    const provider: Provider = {
      name: 'fake',
      provision: () => Promise.reject(new Error('unused')),
      describe: (nodeId) => Promise.resolve({ nodeId, ref: '', state: 'gone' }),
      terminate: (nodeId) => {
        terminated.push(nodeId);
        return Promise.resolve();
      },
      list: () => Promise.resolve([]),
    };
    const providerNamed = (name: string): Provider => {
      if (name === 'unknown') throw new Error(`no provider named ${name}`);
      return provider;
    };
    // The node with no known provider sorts first, so it is checked first.
    await t.store.nodes.insert(node('a-node', 'unknown'));
    await t.store.nodes.insert(node('b-node', 'fake'));
    const startedAt = t.clock.now();
    const runner = new LoopRunner(nodeHealthLoop(t.ctx, providerNamed, startedAt), t.clock, memoryLogger());
    await runner.pass(); // both heard of now
    const { nodeNotRespondingAfterMs, nodeLostAfterMs } = t.ctx.config.jobs;
    t.clock.advance(nodeNotRespondingAfterMs + 1);
    await runner.pass();
    expect((await t.store.nodes.get('a-node'))?.state).toBe('unusable');
    expect((await t.store.nodes.get('b-node'))?.state).toBe('unusable');

    // A server started now hears both for the first time: nothing is silent to it yet.
    const fresh = new LoopRunner(
      nodeHealthLoop(t.ctx, providerNamed, t.clock.now()),
      t.clock,
      memoryLogger(),
    );
    t.clock.advance(nodeLostAfterMs);
    await fresh.pass();
    expect(terminated).toEqual([]);

    await runner.pass();
    // a-node's provider cannot be found: that key fails and backs off; b-node is still fenced and released.
    expect(terminated).toEqual(['b-node']);
    expect(await t.store.nodes.get('b-node')).toBeUndefined();
    expect((await t.store.nodes.get('a-node'))?.state).toBe('unusable');
    expect([...runner.backingOff().keys()]).toEqual(['node/a-node']);
  });
});
