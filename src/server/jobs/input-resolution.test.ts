import { describe, expect, it } from 'vitest';
import { parseJobSpec } from '../../domain/jobs/job-spec.js';
import type { AssetResolution } from '../assets/asset-resolution.js';
import type { SnapshotService } from '../snapshots/snapshot-service.js';
import {
  resolveDatastoreOutputs,
  resolveInputs,
  type InputDeps,
  type MachinePathCheck,
  type PathFound,
} from './input-resolution.js';

// The datastore `shared` is the folder /srv/shared on every node; the machine answers from `seen`.
const assets = {
  resolveDataReference: (_ws: string, ref: string) => {
    const sub = ref.replace('azureml://datastores/shared/paths', '');
    return Promise.resolve({
      kind: 'path',
      datastore: 'shared',
      root: '/srv/shared',
      path: `/srv/shared${sub}`,
    });
  },
} as unknown as AssetResolution;

function machine(seen: Record<string, PathFound> | undefined): MachinePathCheck & { asked: string[][] } {
  const asked: string[][] = [];
  return {
    asked,
    where: "compute 'box' (an SSH machine, as user 'u')",
    probe: (paths) => {
      asked.push(paths);
      return Promise.resolve(seen ? paths.map((p) => seen[p] ?? { kind: 'absent' }) : undefined);
    },
  };
}

const deps = (check: MachinePathCheck): InputDeps => ({
  snapshots: {} as SnapshotService,
  assets,
  pathCheck: check,
});

const job = (inputs: Record<string, unknown>, outputs: Record<string, unknown> = {}) =>
  parseJobSpec({ command: 'true', compute: 'box', inputs, outputs });

describe('datastore paths checked on an attached machine at submission', () => {
  const folder = { type: 'uri_folder', path: 'azureml://datastores/shared/paths/train' };

  it('accepts a folder the machine reads, and binds it where the job expects it', async () => {
    const m = machine({ '/srv/shared/train': { kind: 'folder', writable: false } });
    const r = await resolveInputs(deps(m), 'ws', job({ d: { ...folder, mode: 'ro_mount' } }), {});
    expect(m.asked).toEqual([['/srv/shared/train']]);
    expect(r.files).toEqual([expect.objectContaining({ hostPath: '/srv/shared/train', mode: 'ro_mount' })]);
  });

  it('refuses, naming the input, a path the machine cannot reach or read, the wrong kind, or rw_mount without write', async () => {
    const m = machine({
      '/srv/shared/closed': { kind: 'unreadable' },
      '/srv/shared/train': { kind: 'folder', writable: false },
      '/srv/shared/f.csv': { kind: 'file', writable: true },
    });
    const refused = (inputs: Record<string, unknown>) => resolveInputs(deps(m), 'ws', job(inputs), {});
    await expect(
      refused({ d: { type: 'uri_folder', path: 'azureml://datastores/shared/paths/gone' } }),
    ).rejects.toThrow(
      "inputs.d.path: 'azureml://datastores/shared/paths/gone' is /srv/shared/gone, which compute 'box' (an SSH machine, as user 'u') cannot reach",
    );
    await expect(
      refused({ d: { type: 'uri_folder', path: 'azureml://datastores/shared/paths/closed' } }),
    ).rejects.toThrow("which compute 'box' (an SSH machine, as user 'u') may not read.");
    await expect(
      refused({ d: { type: 'uri_file', path: 'azureml://datastores/shared/paths/train' } }),
    ).rejects.toThrow('a uri_file input names one file: use type: uri_folder');
    await expect(
      refused({ d: { type: 'uri_folder', path: 'azureml://datastores/shared/paths/f.csv' } }),
    ).rejects.toThrow('a uri_folder input names a folder: use type: uri_file');
    await expect(refused({ d: { ...folder, mode: 'rw_mount' } })).rejects.toThrow(
      'may not write (mode: rw_mount)',
    );
  });

  it('leaves the check to the agent when the machine cannot be asked now', async () => {
    const m = machine(undefined);
    const r = await resolveInputs(deps(m), 'ws', job({ d: folder }), {});
    expect(m.asked).toHaveLength(1);
    expect(r.files).toEqual([expect.objectContaining({ hostPath: '/srv/shared/train' })]);
  });

  it('binds an output written to a datastore folder writable at outputs/<name>, when the machine may write it', async () => {
    const out = { type: 'uri_folder', path: 'azureml://datastores/shared/paths/results' };
    const writable = machine({ '/srv/shared/results': { kind: 'folder', writable: true } });
    expect(await resolveDatastoreOutputs(deps(writable), 'ws', job({}, { r: out }))).toEqual([
      { name: 'r', path: 'outputs/r', hostPath: '/srv/shared/results', mode: 'rw_mount' },
    ]);
    const readOnly = machine({ '/srv/shared/results': { kind: 'folder', writable: false } });
    await expect(resolveDatastoreOutputs(deps(readOnly), 'ws', job({}, { r: out }))).rejects.toThrow(
      "outputs.r.path: 'azureml://datastores/shared/paths/results' is /srv/shared/results, which compute 'box' (an SSH machine, as user 'u') may not write (mode: rw_mount).",
    );
    await expect(
      resolveDatastoreOutputs(deps(writable), 'ws', job({}, { r: { ...out, type: 'uri_file' } })),
    ).rejects.toThrow('outputs.r.path: a uri_file output cannot be written to a datastore path');
  });
});
