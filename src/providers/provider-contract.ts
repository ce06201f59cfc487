import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { NodeProvisionRequest, Provider } from './provider.js';

/** What a contract run needs: a provider, and a server URL its agents may (fail to) reach. */
export interface ProviderContractSetup {
  provider: Provider;
  serverUrl: string;
}

/** Polls until `check` holds (providers may report a start or an end a moment later). */
async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The contract every provider passes (local now; ssh and slurm later): provision, describe,
 * terminate and list are idempotent, agree with each other, and honour an aborted signal.
 */
export function describeProviderContract(name: string, setup: () => Promise<ProviderContractSetup>): void {
  describe(`provider contract: ${name}`, () => {
    const started: { provider: Provider; nodeId: string }[] = [];
    const request = (s: ProviderContractSetup): NodeProvisionRequest => {
      const nodeId = `contract-${randomBytes(4).toString('hex')}`;
      started.push({ provider: s.provider, nodeId });
      return {
        nodeId,
        nodeToken: randomBytes(16).toString('hex'),
        serverUrl: s.serverUrl,
        computeName: 'contract',
        slots: 1,
      };
    };
    afterEach(async () => {
      for (const { provider, nodeId } of started.splice(0)) await provider.terminate(nodeId);
    });

    it('provisions a running node and provisioning it again returns the same node', async () => {
      const s = await setup();
      const req = request(s);
      const first = await s.provider.provision(req);
      expect(first).toMatchObject({ nodeId: req.nodeId, state: 'running' });
      expect(first.ref).not.toBe('');
      const again = await s.provider.provision(req);
      expect(again.ref).toBe(first.ref);
      expect(await s.provider.describe(req.nodeId)).toMatchObject({
        nodeId: req.nodeId,
        ref: first.ref,
        state: 'running',
      });
    });

    it('lists the nodes it runs, and only those', async () => {
      const s = await setup();
      const [a, b] = [request(s), request(s)];
      await s.provider.provision(a);
      await s.provider.provision(b);
      const listed = (await s.provider.list()).map((n) => n.nodeId);
      expect(listed).toEqual(expect.arrayContaining([a.nodeId, b.nodeId]));
      await s.provider.terminate(a.nodeId);
      const after = (await s.provider.list()).map((n) => n.nodeId);
      expect(after).toContain(b.nodeId);
      expect(after).not.toContain(a.nodeId);
    });

    it('terminates a node; terminating it again, or a node it never had, succeeds', async () => {
      const s = await setup();
      const req = request(s);
      await s.provider.provision(req);
      await s.provider.terminate(req.nodeId);
      await eventually(
        async () => (await s.provider.describe(req.nodeId)).state === 'gone',
        'the node to be gone',
      );
      await expect(s.provider.terminate(req.nodeId)).resolves.toBeUndefined();
      await expect(s.provider.terminate('contract-never-existed')).resolves.toBeUndefined();
      expect((await s.provider.describe('contract-never-existed')).state).toBe('gone');
    });

    it('refuses to start anything once the signal is aborted', async () => {
      const s = await setup();
      const req = request(s);
      const aborted = AbortSignal.abort();
      await expect(s.provider.provision(req, aborted)).rejects.toThrow();
      expect((await s.provider.describe(req.nodeId)).state).toBe('gone');
      await expect(s.provider.list(aborted)).rejects.toThrow();
    });
  });
}
