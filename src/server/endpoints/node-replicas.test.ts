import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DeploymentRecord } from '../../domain/endpoints/endpoint-record.js';
import { replicaParent } from '../../domain/endpoints/endpoint-record.js';
import { parseDeploymentSpec } from '../../domain/endpoints/endpoint-spec.js';
import type { NodeRecord } from '../../domain/nodes/node-record.js';
import { testContext, type TestContext } from '../../../test/helpers/service-context.js';
import { jobKey } from '../jobs/job-key.js';
import { SnapshotService } from '../snapshots/snapshot-service.js';
import { NodeReplicaHost, replicaTags, servingPortFile } from './node-replicas.js';

const snapshot = 'a'.repeat(64);

function deployment(): DeploymentRecord {
  const spec = parseDeploymentSpec({
    name: 'blue',
    endpoint_name: 'my-ep',
    compute: 'aks1',
    instance_count: 1,
    code_configuration: { code: './code', scoring_script: 'score.py' },
    environment: 'azureml:env:1',
  });
  const generation = {
    number: 2,
    spec,
    resolved: {
      code: { snapshotId: snapshot, subPath: '' },
      python: 'python3',
      environment: 'env:1',
      pool: { compute: 'aks1', environment: { kind: 'pip' as const, requirements: 'tinypkg' } },
    },
  };
  return {
    id: 'dep-1',
    workspace: 'default',
    endpoint: 'my-ep',
    name: 'blue',
    desired: generation,
    status: { provisioningState: 'Creating' },
    createdAt: '2026-01-01T00:00:00.000Z',
    modifiedAt: '2026-01-01T00:00:00.000Z',
    version: 1,
  };
}

function node(id: string, provider: string, servingPorts: Record<string, number>): NodeRecord {
  return {
    id,
    workspace: 'default',
    computeId: 'id-aks1',
    computeName: 'aks1',
    provider,
    state: 'running',
    slots: 4,
    address: 'gpu-box-7',
    servingPorts,
    createdAt: '2026-01-01T00:00:00.000Z',
    version: 1,
  };
}

describe('NodeReplicaHost', () => {
  let t: TestContext;
  let host: NodeReplicaHost;
  beforeEach(async () => {
    t = await testContext();
    host = new NodeReplicaHost(t.ctx, new SnapshotService(t.ctx), '/logs');
  });
  afterEach(async () => t.close());

  it('submits a replica as a high-priority job on the compute, under the deployment, waiting until it runs', async () => {
    const d = deployment();
    const r = await host.start(d, d.desired, 0);
    const job = await t.store.jobs.get('default', r.name);
    expect(job).toMatchObject({
      computeName: 'aks1',
      status: 'Queued',
      parentJobName: replicaParent(d),
      priority: 3,
      run: { servingPortFile, environment: { kind: 'pip' }, snapshotId: snapshot, maxAttempts: 1 },
    });
    expect(job?.run.command).toContain('-m hangar_scoring_host --entry-script score.py');
    expect((job?.spec.tags as Record<string, string>)[replicaTags.generation]).toBe('2');
    expect(r.waiting()).toContain(`replica job ${r.name} is Queued`);
    expect(r.port()).toBeUndefined();
    expect(t.wakes()).toBeGreaterThan(0);
  });

  it('routes to the port its node reported, at the node: loopback for local nodes, the address elsewhere; never the server port', async () => {
    const d = deployment();
    const r = await host.start(d, d.desired, 0);
    const run = async (n: NodeRecord): Promise<void> => {
      await t.store.nodes.insert(n);
      const job = await t.store.jobs.get('default', r.name);
      await t.store.jobs.update({ ...job!, status: 'Running', nodeId: n.id });
      await host.refresh([r]);
    };
    await run(node('n-ssh', 'ssh:x', { [jobKey('default', r.name)]: 41000 }));
    expect(r.waiting()).toBeUndefined();
    expect([r.host(), r.port()]).toEqual(['gpu-box-7', 41000]);
    await run(node('n-local', 'local', { [jobKey('default', r.name)]: 41001 }));
    expect([r.host(), r.port()]).toEqual(['127.0.0.1', 41001]);
    // A hostile replica reporting the server's own port (testContext's publicUrl is :1) is not routed to.
    await run(node('n-evil', 'local', { [jobKey('default', r.name)]: 1 }));
    expect(r.port()).toBeUndefined();
  });

  it("takes back only this server's unfinished replica jobs, and cancels a stopped replica's job", async () => {
    const d = deployment();
    const mine = await host.start(d, d.desired, 0);
    const other = new NodeReplicaHost(
      { ...t.ctx, config: { ...t.ctx.config, home: '/elsewhere' } },
      new SnapshotService(t.ctx),
      '/logs',
    );
    await other.start(d, d.desired, 1);
    const restarted = new NodeReplicaHost(t.ctx, new SnapshotService(t.ctx), '/logs');
    expect((await restarted.adopt(d)).map((a) => [a.replica.name, a.generation])).toEqual([[mine.name, 2]]);
    await mine.stop();
    expect((await t.store.jobs.get('default', mine.name))?.status).toBe('Canceled');
    expect(await restarted.adopt(d)).toEqual([]);
  });
});
