import { describe, expect, it } from 'vitest';
import { condaToPipRequirements, parseCondaFile } from './conda-file.js';

describe('conda files', () => {
  it('splits python, conda packages and pip requirements, and maps them to pip lines', () => {
    const spec = parseCondaFile(
      `name: sk\nchannels: [conda-forge]\ndependencies:\n  - python=3.8\n  - pip\n  - numpy=1.21\n  - scipy>=1.5\n  - conda-forge::pandas=1.3.4=py38_0\n  - pip:\n    - tinypkg==0.1\n`,
    );
    expect(spec.python).toBe('3.8');
    expect(condaToPipRequirements(spec)).toEqual([
      'numpy==1.21',
      'scipy>=1.5',
      'pandas==1.3.4',
      'tinypkg==0.1',
    ]);
  });

  it('rejects bad YAML and bad dependencies with the field', () => {
    expect(() => parseCondaFile('dependencies: [a, {x: 1}]')).toThrow(/conda_file/);
    expect(() => parseCondaFile('dependencies: 3')).toThrow(/must be a list/);
    expect(() => parseCondaFile('a: [')).toThrow(/not valid YAML/);
  });
});
