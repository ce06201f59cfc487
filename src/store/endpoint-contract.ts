import { expect, it } from 'vitest';
import type { DeploymentRecord, EndpointRecord } from '../domain/endpoints/endpoint-record.js';
import { parseDeploymentSpec, parseEndpointSpec } from '../domain/endpoints/endpoint-spec.js';
import type { Store } from './store.js';

const at = '2026-01-03T00:00:00.000Z';

const endpoint = (workspace: string, name: string): EndpointRecord => ({
  id: `ep-${workspace}-${name}`,
  workspace,
  name,
  spec: parseEndpointSpec({ name }),
  provisioningState: 'Succeeded',
  createdAt: at,
  modifiedAt: at,
  version: 1,
});

const deployment = (endpointName: string, name: string): DeploymentRecord => {
  const spec = parseDeploymentSpec({
    name,
    endpoint_name: endpointName,
    environment: 'azureml:env:1',
    instance_type: 'Standard_DS3_v2',
    instance_count: 1,
    code_configuration: { code: 'azureml://x', scoring_script: 'score.py' },
  });
  return {
    id: `d-${endpointName}-${name}`,
    workspace: 'default',
    endpoint: endpointName,
    name,
    desired: {
      number: 1,
      spec,
      resolved: {
        code: { snapshotId: 'a'.repeat(64), subPath: '' },
        python: 'python3',
        environment: 'env:1',
      },
    },
    status: { provisioningState: 'Creating' },
    createdAt: at,
    modifiedAt: at,
    version: 1,
  };
};

const expectCode = async (p: Promise<unknown>, code: string): Promise<void> => {
  await expect(p).rejects.toMatchObject({ code });
};

/** The online endpoint and deployment cases of the store contract (both stores run them). */
export function endpointContractCases(
  withStore: (fn: (s: Store) => Promise<void>) => () => Promise<void>,
): void {
  it(
    'online endpoints: names unique across workspaces (case-insensitive), optimistic update, delete',
    withStore(async (s) => {
      await s.onlineEndpoints.insert(endpoint('default', 'my-ep'));
      await expectCode(s.onlineEndpoints.insert(endpoint('other', 'MY-EP')), 'NameConflict');
      expect(await s.onlineEndpoints.get('default', 'My-Ep')).toEqual(endpoint('default', 'my-ep'));
      expect((await s.onlineEndpoints.byName('MY-EP'))?.workspace).toBe('default');
      await s.onlineEndpoints.insert(endpoint('other', 'b-ep'));
      expect((await s.onlineEndpoints.list('default')).map((e) => e.name)).toEqual(['my-ep']);
      expect((await s.onlineEndpoints.list()).map((e) => e.name)).toEqual(['b-ep', 'my-ep']);
      const written = await s.onlineEndpoints.update({
        ...endpoint('default', 'my-ep'),
        provisioningState: 'Updating',
      });
      expect(written.version).toBe(2);
      await expectCode(s.onlineEndpoints.update(endpoint('default', 'my-ep')), 'Conflict');
      expect(await s.onlineEndpoints.delete('default', 'my-ep')).toBe(true);
      expect(await s.onlineEndpoints.get('default', 'my-ep')).toBeUndefined();
    }),
  );

  it(
    'online deployments: a name once per endpoint, round trip keeps every field, filters, optimistic update',
    withStore(async (s) => {
      await s.onlineDeployments.insert(deployment('ep-a', 'blue'));
      await expectCode(s.onlineDeployments.insert(deployment('ep-a', 'BLUE')), 'NameConflict');
      await s.onlineDeployments.insert(deployment('ep-a', 'green'));
      await s.onlineDeployments.insert(deployment('ep-b', 'blue'));
      expect(await s.onlineDeployments.get('default', 'EP-A', 'Blue')).toEqual(deployment('ep-a', 'blue'));
      expect((await s.onlineDeployments.list({ endpoint: 'ep-a' })).map((d) => d.name)).toEqual([
        'blue',
        'green',
      ]);
      expect(await s.onlineDeployments.list({})).toHaveLength(3);
      const d = deployment('ep-a', 'blue');
      await s.onlineDeployments.update({
        ...d,
        status: { provisioningState: 'Succeeded', readyReplicas: 1 },
      });
      await expectCode(s.onlineDeployments.update(d), 'Conflict');
      expect((await s.onlineDeployments.get('default', 'ep-a', 'blue'))?.status.readyReplicas).toBe(1);
      expect(await s.onlineDeployments.delete('default', 'ep-a', 'blue')).toBe(true);
      expect(await s.onlineDeployments.list({ workspace: 'default', endpoint: 'ep-a' })).toHaveLength(1);
    }),
  );
}
