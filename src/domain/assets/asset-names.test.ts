import { describe, expect, it } from 'vitest';
import {
  checkAssetName,
  checkAssetVersion,
  checkDatastoreName,
  checkLabel,
  nextVersion,
} from './asset-names.js';

describe('asset names and versions', () => {
  it('takes the next integer version over every existing one, ignoring non-integers', () => {
    expect(nextVersion([])).toBe('1');
    expect(nextVersion(['1', '3', '2'])).toBe('4');
    expect(nextVersion(['v2', '10', 'beta'])).toBe('11');
  });

  it('names the field, rule and value of a bad name, version or label', () => {
    expect(() => checkAssetName('data', '-x')).toThrow(/name: data name '-x' must start with a letter/);
    expect(() => checkAssetName('data', 'a'.repeat(256))).toThrow(/at most 255/);
    expect(() => checkAssetVersion('model', 'latest')).toThrow(/not 'latest'/);
    expect(() => checkAssetVersion('model', 'a b')).toThrow(/version: model version 'a b'/);
    expect(() => checkDatastoreName('My-Store')).toThrow(/lower-case letters, digits and '_'/);
    expect(() => checkLabel('prod')).toThrow(/'latest'.*is the only label/);
    expect(() => checkAssetName('data', 'iris.v2_x-1')).not.toThrow();
    expect(() => checkDatastoreName('shared_nfs')).not.toThrow();
  });
});
