import { describe, expect, it } from 'vitest';
import { decidePipeline, type PipelineSnapshot, type StepObservation } from './pipeline-decision.js';
import type { StepPlan } from './pipeline-spec.js';

const step = (dependsOn: string[] = []): StepPlan => ({
  component: 'inline command',
  componentName: 'x',
  command: 'true',
  compute: 'cpu',
  isDeterministic: true,
  inputs: {},
  outputs: {},
  dependsOn,
});

// a → b → d, and c alone.
const plan = {
  steps: { a: step(), b: step(['a']), c: step(), d: step(['b']) },
  order: ['a', 'b', 'c', 'd'],
  settings: { continueOnStepFailure: false, forceRerun: false },
};

function snap(
  steps: Record<string, StepObservation | undefined>,
  extra: Partial<PipelineSnapshot> = {},
): PipelineSnapshot {
  return { plan, steps, stepErrors: {}, cancelRequested: false, ...extra };
}
const done: StepObservation = { status: 'Completed' };
const running: StepObservation = { status: 'Running' };
const failed: StepObservation = { status: 'Failed', message: 'exit code 3' };

describe('pipeline decision', () => {
  it('starts every step whose inputs are ready, in parallel', () => {
    const d = decidePipeline(snap({}));
    expect(d.start).toEqual(['a', 'c']);
    expect(d.status).toBe('Running');
    expect(d.phases.b).toEqual({ phase: 'NotStarted', why: 'waiting for a' });
    expect(decidePipeline(snap({ a: done, c: running })).start).toEqual(['b']);
  });

  it('completes when every step completed', () => {
    const d = decidePipeline(snap({ a: done, b: done, c: done, d: done }));
    expect([d.status, d.start, d.cancel]).toEqual(['Completed', [], []]);
  });

  it('a failed step stops the pipeline: running steps are canceled, none starts', () => {
    const d = decidePipeline(snap({ a: failed, c: running }));
    expect(d.start).toEqual([]);
    expect(d.cancel).toEqual(['c']);
    expect(d.status).toBe('CancelRequested');
    expect(d.reason).toBe('step a failed: exit code 3; stopping the other steps');
    expect(d.phases.b).toEqual({ phase: 'Skipped', why: 'step a did not complete' });
    const end = decidePipeline(snap({ a: failed, c: { status: 'Canceled' } }));
    expect(end.status).toBe('Failed');
    expect(end.error?.message).toBe('step a failed: exit code 3; not run: b, d');
  });

  it('with continue_on_step_failure only the failed step’s descendants are skipped', () => {
    const cont = { ...plan, settings: { ...plan.settings, continueOnStepFailure: true } };
    const d = decidePipeline({ ...snap({ a: failed }), plan: cont });
    expect(d.start).toEqual(['c']);
    expect(d.cancel).toEqual([]);
    expect(d.phases.d).toEqual({ phase: 'Skipped', why: 'step a did not complete' });
    const end = decidePipeline({ ...snap({ a: failed, c: done }), plan: cont });
    expect(end.status).toBe('Failed');
    expect(end.phases.c?.phase).toBe('Completed');
  });

  it('a step that could not be submitted counts as failed', () => {
    const d = decidePipeline(snap({ a: done }, { stepErrors: { b: 'compute gone' } }));
    expect(d.status).toBe('Failed');
    expect(d.error?.message).toContain('step b failed: compute gone');
  });

  it('cancel stops every running step, then the pipeline is Canceled', () => {
    const d = decidePipeline(
      snap({ a: running, c: { status: 'CancelRequested' } }, { cancelRequested: true }),
    );
    expect(d.cancel).toEqual(['a']);
    expect(d.status).toBe('CancelRequested');
    expect(decidePipeline(snap({ a: { status: 'Canceled' } }, { cancelRequested: true })).status).toBe(
      'Canceled',
    );
  });
});
