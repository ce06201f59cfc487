import { describe, expect, it } from 'vitest';
import type { StepPlan } from './pipeline-spec.js';
import {
  decideReuse,
  differingParts,
  inputIdentity,
  stableJson,
  stepCacheKey,
  type ReuseCandidate,
} from './step-cache.js';

const snap = (c: string) => `azureml://datastores/workspaceblobstore/paths/snapshots/${c.repeat(64)}/`;
const base: StepPlan = {
  component: 'component file (train)',
  componentName: 'train',
  command: 'python train.py ${{inputs.data}}',
  code: snap('a'),
  environment: 'azureml:sklearn:1',
  compute: 'cpu',
  isDeterministic: true,
  inputs: {
    data: { kind: 'step-output', step: 'prep', output: 'clean', type: 'uri_folder' },
    lr: { kind: 'literal', value: 0.1 },
  },
  outputs: { model: { type: 'uri_folder' } },
  dependsOn: ['prep'],
};
const inputsOf = (s: StepPlan, outputs = 'f'.repeat(64)) =>
  Object.fromEntries(Object.entries(s.inputs).map(([k, i]) => [k, inputIdentity(i, outputs)]));
const keyOf = (s: StepPlan, outputs?: string) => stepCacheKey(s, inputsOf(s, outputs));
const earlier = (s: StepPlan, name: string, endTime: string, outputs?: string): ReuseCandidate => ({
  jobName: name,
  key: keyOf(s, outputs),
  endTime,
  step: 'train',
  componentName: 'train',
});
const opts = { forceRerun: false, deterministic: true };

describe('step cache key', () => {
  it('is equal for equal steps whatever the compute and key order', () => {
    expect(keyOf(base)).toEqual(keyOf({ ...base, compute: 'gpu' }));
    expect(stableJson({ b: 1, a: [1, { d: 2, c: 3 }] })).toBe('{"a":[1,{"c":3,"d":2}],"b":1}');
    expect(keyOf(base).code).toBe('a'.repeat(64));
  });

  it('names each part that differs', () => {
    const k = keyOf(base);
    expect(differingParts(keyOf({ ...base, code: snap('b') }), k)).toEqual(['code']);
    expect(differingParts(keyOf(base, 'e'.repeat(64)), k)).toEqual(['inputs.data']);
    expect(differingParts(keyOf({ ...base, environment: 'azureml:sklearn:2' }), k)).toEqual(['environment']);
    expect(differingParts(keyOf({ ...base, command: 'python other.py' }), k)).toEqual(['component']);
    expect(differingParts(keyOf({ ...base, environmentVariables: { A: '1' } }), k)).toEqual(['settings']);
  });
});

describe('reuse decision', () => {
  it('reuses the newest equal run, following a reused run to its original', () => {
    const d = decideReuse(
      keyOf(base),
      'train',
      'train',
      [
        earlier(base, 'p1_train', '2026-01-01T00:00:00Z'),
        { ...earlier(base, 'p2_train', '2026-01-02T00:00:00Z'), reusedFrom: 'p1_train' },
      ],
      opts,
    );
    expect(d).toEqual({
      reuse: true,
      from: 'p1_train',
      note: 'reused from p1_train: every part of its key matched',
    });
  });

  it('explains which part differed from the closest earlier run', () => {
    const d = decideReuse(
      keyOf({ ...base, code: snap('b') }),
      'train',
      'train',
      [
        earlier({ ...base, environment: 'other', command: 'x' }, 'p0_train', '2026-01-03T00:00:00Z'),
        earlier(base, 'p1_train', '2026-01-01T00:00:00Z'),
      ],
      opts,
    );
    expect(d.reuse).toBe(false);
    expect(d).toMatchObject({ closest: 'p1_train', differs: ['code'] });
    expect(d.note).toBe(
      `not reused: against the closest earlier run p1_train, code (${'a'.repeat(12)} → ${'b'.repeat(12)}) differs`,
    );
  });

  it('names a changed input with both identities', () => {
    const d = decideReuse(
      keyOf(base, 'e'.repeat(64)),
      'train',
      'train',
      [earlier(base, 'p1_train', '2026-01-01T00:00:00Z')],
      opts,
    );
    expect(d.note).toContain(
      `inputs.data (output ${'f'.repeat(12)}…/clean → output ${'e'.repeat(12)}…/clean) differs`,
    );
  });

  it('never reuses with force_rerun, a non-deterministic component, or nothing earlier', () => {
    const c = [earlier(base, 'p1_train', '2026-01-01T00:00:00Z')];
    expect(decideReuse(keyOf(base), 'train', 'train', c, { ...opts, forceRerun: true }).note).toContain(
      'force_rerun',
    );
    expect(decideReuse(keyOf(base), 'train', 'train', c, { ...opts, deterministic: false }).note).toContain(
      'is_deterministic',
    );
    expect(decideReuse(keyOf(base), 'train', 'train', [], opts).note).toContain('no earlier completed run');
  });
});
