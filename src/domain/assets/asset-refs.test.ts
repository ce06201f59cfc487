import { describe, expect, it } from 'vitest';
import { datastoreUri, parseAssetRef } from './asset-refs.js';

describe('asset references', () => {
  it('reads every form az ml writes', () => {
    expect(parseAssetRef('azureml:iris:3')).toEqual({ kind: 'asset', name: 'iris', version: '3' });
    expect(parseAssetRef('azureml:iris@latest')).toEqual({ kind: 'asset', name: 'iris', label: 'latest' });
    expect(parseAssetRef('azureml://datastores/shared/paths/data/iris.csv')).toEqual({
      kind: 'datastore-path',
      datastore: 'shared',
      path: 'data/iris.csv',
    });
    expect(parseAssetRef('azureml://datastores/workspaceblobstore/paths/')).toEqual({
      kind: 'datastore-path',
      datastore: 'workspaceblobstore',
      path: '',
    });
    expect(parseAssetRef('azureml://jobs/calm_drop_1/outputs/model/paths/m/model.pkl')).toEqual({
      kind: 'job-output',
      job: 'calm_drop_1',
      output: 'model',
      path: 'm/model.pkl',
    });
    expect(parseAssetRef('azureml://jobs/j/outputs/model')).toEqual({
      kind: 'job-output',
      job: 'j',
      output: 'model',
      path: '',
    });
    expect(parseAssetRef('https://example.com/iris.csv')).toEqual({
      kind: 'url',
      url: 'https://example.com/iris.csv',
    });
    expect(parseAssetRef('./data')).toEqual({ kind: 'local', path: './data' });
    expect(datastoreUri('shared', '/a/b')).toBe('azureml://datastores/shared/paths/a/b');
  });

  it('refuses what it cannot read, naming the field and the value', () => {
    for (const bad of [
      'azureml:iris',
      'azureml:-x:1',
      'azureml://registries/r/data/x/versions/1',
      'azureml://datastores/s/paths/../../etc',
      'azureml://jobs/j/outputs/o/paths/../x',
      's3://bucket/key',
      '  ',
    ])
      expect(() => parseAssetRef(bad, 'inputs.training.path')).toThrow(
        /^inputs\.training\.path: '.*' is not a reference/,
      );
  });
});
