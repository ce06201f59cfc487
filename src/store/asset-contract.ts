import { expect, it } from 'vitest';
import type { AssetRecord } from '../domain/assets/asset-record.js';
import type { EnvironmentRecord } from '../domain/environments/environment-record.js';
import type { Store } from './store.js';

const at = (n: number): string => new Date(Date.UTC(2026, 0, 2, 0, 0, n)).toISOString();

const asset = (name: string, version: string, n: number, extra: Partial<AssetRecord> = {}): AssetRecord => ({
  kind: 'data',
  workspace: 'default',
  name,
  version,
  archived: false,
  createdAt: at(n),
  modifiedAt: at(n),
  createdBy: 'admin',
  doc: { type: 'uri_folder', tags: { k: 'v' }, description: `v${version}` },
  ...extra,
});

/**
 * The asset and lineage cases of the store contract (called from describeStoreContract, so the
 * SQLite and PostgreSQL stores pass the same ones). `withStore` gives each case a fresh store.
 */
export function assetContractCases(
  withStore: (fn: (s: Store) => Promise<void>) => () => Promise<void>,
): void {
  it(
    'assets: round trip, immutable versions, kinds and workspaces apart',
    withStore(async (s) => {
      const v1 = asset('iris', '1', 1, { snapshotId: 'a'.repeat(64) });
      await s.assets.insert(v1);
      expect(await s.assets.get('data', 'default', 'iris', '1')).toEqual(v1);
      await expect(s.assets.insert(asset('iris', '1', 2))).rejects.toMatchObject({
        code: 'AssetVersionExists',
        message: expect.stringContaining('iris:1') as unknown,
      });
      // The same name and version of another kind, or in another workspace, is another asset.
      await s.assets.insert(asset('iris', '1', 3, { kind: 'model' }));
      await s.assets.insert(asset('iris', '1', 4, { workspace: 'other' }));
      expect((await s.assets.get('model', 'default', 'iris', '1'))?.kind).toBe('model');
      expect(await s.assets.get('data', 'default', 'iris', '2')).toBeUndefined();
      expect(await s.assets.snapshotIds()).toEqual(['a'.repeat(64)]);
    }),
  );

  it(
    'assets: newest first, archived hidden unless asked, paging, update and delete',
    withStore(async (s) => {
      for (const v of ['1', '2', '3']) await s.assets.insert(asset('iris', v, Number(v)));
      await s.assets.insert(asset('wine', '1', 4));
      const names = (rs: AssetRecord[]): string[] => rs.map((r) => `${r.name}:${r.version}`);
      expect(names(await s.assets.all('data', 'default', {}))).toEqual([
        'wine:1',
        'iris:3',
        'iris:2',
        'iris:1',
      ]);
      const v3 = await s.assets.get('data', 'default', 'iris', '3');
      expect(
        await s.assets.update({
          ...(v3 as AssetRecord),
          archived: true,
          modifiedAt: at(9),
          doc: { tags: {} },
        }),
      ).toBe(true);
      expect(names(await s.assets.all('data', 'default', { name: 'iris' }))).toEqual(['iris:2', 'iris:1']);
      expect(names(await s.assets.all('data', 'default', { name: 'iris', view: 'ArchivedOnly' }))).toEqual([
        'iris:3',
      ]);
      expect(names(await s.assets.all('data', 'default', { name: 'iris', view: 'All' }))).toHaveLength(3);
      const archived = await s.assets.get('data', 'default', 'iris', '3');
      expect(archived).toMatchObject({
        archived: true,
        modifiedAt: at(9),
        doc: { tags: {} },
        createdAt: at(3),
      });
      const first = await s.assets.list('data', 'default', { view: 'All' }, { top: 2 });
      expect(names(first.items)).toEqual(['wine:1', 'iris:3']);
      const second = await s.assets.list(
        'data',
        'default',
        { view: 'All' },
        { top: 2, ...(first.skipToken ? { skipToken: first.skipToken } : {}) },
      );
      expect(names(second.items)).toEqual(['iris:2', 'iris:1']);
      expect(second.skipToken).toBeUndefined();
      expect(await s.assets.update(asset('none', '1', 1))).toBe(false);
      expect(await s.assets.delete('data', 'default', 'wine', '1')).toBe(true);
      expect(await s.assets.delete('data', 'default', 'wine', '1')).toBe(false);
    }),
  );

  it(
    'asset lineage: per job and per asset, repeated edges kept once',
    withStore(async (s) => {
      const edge = {
        workspace: 'default',
        job: 'j1',
        direction: 'input' as const,
        port: 'training',
        kind: 'data' as const,
        name: 'iris',
        version: '1',
        at: at(1),
      };
      const out = {
        ...edge,
        direction: 'output' as const,
        port: 'model',
        kind: 'model' as const,
        name: 'clf',
      };
      await s.assets.addLineage([edge, out]);
      await s.assets.addLineage([edge, { ...edge, job: 'j2', at: at(2) }]);
      expect(await s.assets.lineageOfJob('default', 'j1')).toEqual([edge, out]);
      expect((await s.assets.lineageOfAsset('default', 'data', 'iris')).map((e) => e.job)).toEqual([
        'j1',
        'j2',
      ]);
      expect(await s.assets.lineageOfAsset('default', 'data', 'iris', '2')).toEqual([]);
      expect(await s.assets.lineageOfAsset('default', 'model', 'clf', '1')).toEqual([out]);
    }),
  );

  it(
    'environments: archived versions are not latest and are listed only when asked',
    withStore(async (s) => {
      const env = (version: string): EnvironmentRecord => ({
        workspace: 'default',
        name: 'sk',
        version,
        tags: {},
        definition: { kind: 'conda', condaFile: 'dependencies: []' },
        createdAt: at(Number(version)),
      });
      await s.environments.insert(env('1'));
      await s.environments.insert(env('2'));
      expect(await s.environments.update({ ...env('2'), archived: true })).toBe(true);
      expect((await s.environments.latest('default', 'sk'))?.version).toBe('1');
      expect((await s.environments.get('default', 'sk', '2'))?.archived).toBe(true);
      const active = await s.environments.list('default', { name: 'sk' }, { top: 10 });
      expect(active.items.map((e) => e.version)).toEqual(['1']);
      const all = await s.environments.list('default', { name: 'sk', view: 'All' }, { top: 10 });
      expect(all.items.map((e) => e.version)).toEqual(['2', '1']);
      expect(await s.environments.update(env('9'))).toBe(false);
    }),
  );
}
