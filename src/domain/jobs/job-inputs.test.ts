import { describe, expect, it } from 'vitest';
import { HangarError } from '../errors/hangar-error.js';
import { planInput, refuseUnreadableScheme, urlFileName, type InputSource } from './job-inputs.js';

const snapshot: InputSource = { kind: 'snapshot', snapshotId: 'a'.repeat(64), uri: 'azureml:d:1' };
const folder: InputSource = {
  kind: 'path',
  hostPath: '/data/shared/set',
  uri: 'azureml://datastores/s/paths/set',
};
const url: InputSource = { kind: 'url', url: 'https://example.org/w/model%20v1.bin?x=1' };

function refusal(fn: () => unknown): HangarError {
  try {
    fn();
  } catch (err) {
    if (err instanceof HangarError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('refuseUnreadableScheme', () => {
  it('refuses Azure storage naming the field and the storage', () => {
    const e = refusal(() =>
      refuseUnreadableScheme('inputs.d.path', 'wasbs://c@acct.blob.core.windows.net/x'),
    );
    expect(e.code).toBe('ValidationFailed');
    expect(e.target).toBe('inputs.d.path');
    expect(e.message).toContain('Azure Blob storage');
    expect(
      refusal(() => refuseUnreadableScheme('f', 'abfss://fs@acct.dfs.core.windows.net/p')).message,
    ).toContain('Data Lake Storage Gen2');
    expect(refusal(() => refuseUnreadableScheme('f', 's3://bucket/key')).message).toContain('s3://');
  });
  it('lets readable references through', () => {
    for (const p of ['azureml:d:1', 'https://x/y', 'azureml://datastores/a/paths/b', './local'])
      expect(() => refuseUnreadableScheme('f', p)).not.toThrow();
  });
});

describe('planInput', () => {
  it('copies stored data by default and mounts datastore folders read-only by default', () => {
    expect(planInput('d', 'uri_folder', undefined, snapshot).delivery).toEqual({
      name: 'd',
      path: 'inputs/d',
      mode: 'download',
      snapshotId: 'a'.repeat(64),
    });
    expect(planInput('d', 'uri_folder', undefined, folder).delivery).toEqual({
      name: 'd',
      path: 'inputs/d',
      mode: 'ro_mount',
      hostPath: '/data/shared/set',
    });
  });
  it('places a uri_file under its own name', () => {
    const file = { ...snapshot, fileName: 'train.csv' };
    expect(planInput('d', 'uri_file', 'ro_mount', file).delivery?.path).toBe('inputs/d/train.csv');
    expect(planInput('w', 'uri_file', undefined, url).delivery).toMatchObject({
      path: 'inputs/w/model_v1.bin',
      mode: 'download',
      url: url.kind === 'url' ? url.url : '',
    });
  });
  it('direct gives the resolved URI as a string', () => {
    expect(planInput('d', 'uri_folder', 'direct', snapshot)).toEqual({ value: 'azureml:d:1' });
    expect(planInput('d', 'uri_folder', 'direct', folder)).toEqual({ value: '/data/shared/set' });
    expect(planInput('w', 'uri_file', 'direct', url)).toEqual({ value: url.kind === 'url' ? url.url : '' });
  });
  it('rw_mount only on datastore folders', () => {
    expect(planInput('d', 'uri_folder', 'rw_mount', folder).delivery?.mode).toBe('rw_mount');
    const e = refusal(() => planInput('d', 'uri_folder', 'rw_mount', snapshot));
    expect(e.target).toBe('inputs.d.mode');
    expect(e.message).toContain('immutable');
    expect(refusal(() => planInput('w', 'uri_file', 'rw_mount', url)).message).toContain('cannot be written');
  });
  it('refuses a folder over http, naming the input', () => {
    const e = refusal(() => planInput('w', 'uri_folder', undefined, url));
    expect(e.target).toBe('inputs.w.path');
    expect(e.message).toContain('cannot be listed over plain HTTP');
  });
});

describe('urlFileName', () => {
  it('takes the last path segment, made safe', () => {
    expect(urlFileName('https://h/a/b/data.csv?sig=1')).toBe('data.csv');
    expect(urlFileName('https://h/')).toBe('file');
    expect(urlFileName('https://h/a/..%2F..%2Fetc')).toBe('_.._etc');
  });
});
