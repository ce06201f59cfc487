import { describe, expect, it } from 'vitest';
import { HangarError } from '../errors/hangar-error.js';
import { commandComponentSchema } from '../assets/component-spec.js';
import {
  descendantsOf,
  parseBinding,
  parsePipelineSpec,
  planPipeline,
  type ResolvedComponent,
} from './pipeline-spec.js';
import { parseSweepSpec, trialSpec } from '../sweeps/sweep-spec.js';
import { sweepStepJobSpec } from './sweep-step.js';

const train: ResolvedComponent = {
  ref: 'component file (train)',
  spec: commandComponentSchema.parse({
    name: 'train',
    command: 'python train.py --data ${{inputs.data}} --lr ${{inputs.lr}} --out ${{outputs.model}}',
    environment: 'azureml:sklearn@latest',
    code: 'azureml://datastores/workspaceblobstore/paths/snapshots/' + 'a'.repeat(64) + '/',
    inputs: { data: { type: 'uri_folder' }, lr: { type: 'number', default: 0.1 } },
    outputs: { model: { type: 'uri_folder' } },
  }),
};

const yaml = (jobs: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  type: 'pipeline',
  settings: { default_compute: 'azureml:cpu' },
  inputs: { raw: { type: 'uri_folder', path: 'azureml:raw:1' }, n: 3 },
  outputs: { final: { type: 'uri_folder' } },
  jobs,
  ...extra,
});

function plan(raw: Record<string, unknown>, components: Record<string, ResolvedComponent> = {}) {
  const { spec, steps } = parsePipelineSpec(raw);
  return planPipeline(spec, steps, components);
}

function errorOf(f: () => unknown): HangarError {
  try {
    f();
  } catch (e) {
    if (e instanceof HangarError) return e;
    throw e;
  }
  throw new Error('no error');
}

const threeSteps = {
  prep: {
    command: 'cp -r ${{inputs.raw}} ${{outputs.clean}}; echo ${{inputs.n}}',
    inputs: { raw: '${{parent.inputs.raw}}', n: '${{parent.inputs.n}}' },
    outputs: { clean: null },
  },
  train: {
    component: 'file',
    inputs: { data: '${{parent.jobs.prep.outputs.clean}}' },
    outputs: { model: '${{parent.outputs.final}}' },
  },
  score: {
    command: 'ls ${{inputs.m}} ${{inputs.d}}',
    compute: 'azureml:gpu',
    inputs: {
      m: { type: 'uri_folder', path: '${{parent.jobs.train.outputs.model}}', mode: 'ro_mount' },
      d: '${{parent.jobs.prep.outputs.clean}}',
    },
  },
};

describe('pipeline plan', () => {
  it('follows bindings, orders steps after their producers and picks each compute', () => {
    const p = plan(yaml(threeSteps), { train });
    expect(p.order).toEqual(['prep', 'train', 'score']);
    expect(p.steps.prep?.inputs).toEqual({
      raw: { kind: 'data', type: 'uri_folder', path: 'azureml:raw:1' },
      n: { kind: 'literal', value: 3 },
    });
    expect(p.steps.train?.inputs).toEqual({
      data: { kind: 'step-output', step: 'prep', output: 'clean', type: 'uri_folder' },
      lr: { kind: 'literal', value: 0.1 },
    });
    expect(p.steps.train?.command).toContain('python train.py');
    expect(p.steps.train?.code).toContain('snapshots/');
    expect(p.steps.score?.dependsOn.sort()).toEqual(['prep', 'train']);
    expect(p.steps.score?.inputs.m).toMatchObject({ kind: 'step-output', mode: 'ro_mount' });
    expect(p.steps.score?.compute).toBe('azureml:gpu');
    expect(p.steps.prep?.compute).toBe('azureml:cpu');
    expect(p.outputs).toEqual({ final: { step: 'train', output: 'model' } });
    expect(p.settings).toMatchObject({ continueOnStepFailure: false, forceRerun: false });
    expect(descendantsOf(p, 'prep').sort()).toEqual(['score', 'train']);
  });

  it('names the field and value of an unknown step, output or input, and of a cycle', () => {
    const unknownStep = errorOf(() =>
      plan(yaml({ a: { command: 'x', inputs: { i: '${{parent.jobs.nope.outputs.o}}' } } })),
    );
    expect(unknownStep.code).toBe('PipelineGraphInvalid');
    expect(unknownStep.target).toBe('jobs.a.inputs.i');
    expect(unknownStep.message).toContain("'${{parent.jobs.nope.outputs.o}}' names no step 'nope'");

    const unknownOutput = errorOf(() =>
      plan(
        yaml({
          a: { command: 'x', outputs: { o: null } },
          b: { command: 'y', inputs: { i: '${{parent.jobs.a.outputs.zz}}' } },
        }),
      ),
    );
    expect(unknownOutput.message).toContain("step 'a' has no output 'zz' (its outputs: o)");

    const unknownInput = errorOf(() =>
      plan(yaml({ a: { command: 'x', inputs: { i: '${{parent.inputs.missing}}' } } })),
    );
    expect(unknownInput.target).toBe('jobs.a.inputs.i');
    expect(unknownInput.message).toContain('declared: raw, n');

    const cycle = errorOf(() =>
      plan(
        yaml({
          a: { command: 'x', inputs: { i: '${{parent.jobs.b.outputs.o}}' }, outputs: { o: null } },
          b: { command: 'y', inputs: { j: '${{parent.jobs.a.outputs.o}}' }, outputs: { o: null } },
        }),
      ),
    );
    expect(cycle.code).toBe('PipelineGraphInvalid');
    expect(cycle.message).toMatch(/makes a cycle: (a → b → a|b → a → b)/);
    expect(cycle.target).toMatch(/^jobs\.(a|b)\.inputs\.(i|j)$/);

    const bad = errorOf(() =>
      plan(yaml({ a: { command: 'x', inputs: { i: '${{parent.jobs.a.inputs.o}}' } } })),
    );
    expect(bad.target).toBe('jobs.a.inputs.i');
  });

  it('checks component ports, required inputs, the step fields and the compute', () => {
    expect(
      errorOf(() => plan(yaml({ t: { component: 'x', inputs: { datum: 1 } } }), { t: train })).message,
    ).toContain("has no input 'datum'");
    const required = errorOf(() => plan(yaml({ t: { component: 'x' } }), { t: train }));
    expect(required.target).toBe('jobs.t.inputs.data');
    expect(
      errorOf(() => plan(yaml({ t: { component: 'x', command: 'ls', inputs: { data: 1 } } }), { t: train }))
        .target,
    ).toBe('jobs.t.command');
    expect(errorOf(() => plan({ ...yaml({ a: { command: 'x' } }), settings: {} })).target).toBe(
      'jobs.a.compute',
    );
    expect(errorOf(() => plan(yaml({ a: { command: 'x', bogus: 1 } }))).message).toContain(
      "jobs.a: unknown field 'bogus'",
    );
    const parallel = errorOf(() => plan(yaml({ s: { type: 'parallel' } })));
    expect([parallel.code, parallel.target]).toEqual(['NotImplemented', 'jobs.s.type']);
    expect(errorOf(() => plan(yaml({}))).target).toBe('jobs');
    const named = errorOf(() =>
      plan(yaml({ a: { command: 'x', outputs: { o: { type: 'uri_folder', name: 'reg' } } } })),
    );
    expect([named.code, named.target]).toEqual(['NotImplemented', 'jobs.a.outputs.o.name']);
  });

  it('parses the three binding forms and refuses others', () => {
    expect(parseBinding('${{parent.inputs.x}}', 'f')).toEqual({ kind: 'parent-input', input: 'x' });
    expect(parseBinding(' ${{ parent.jobs.a-1.outputs.y }}', 'f')).toEqual({
      kind: 'step-output',
      step: 'a-1',
      output: 'y',
    });
    expect(parseBinding('${{parent.outputs.z}}', 'f')).toEqual({ kind: 'parent-output', output: 'z' });
    expect(parseBinding('plain', 'f')).toBeUndefined();
    expect(() => parseBinding('${{inputs.x}}', 'f')).toThrow(/not a binding/);
  });
});

describe('a sweep as a step', () => {
  const tune = (extra: Record<string, unknown> = {}) => ({
    type: 'sweep',
    trial: 'file',
    inputs: { data: '${{parent.jobs.prep.outputs.clean}}' },
    outputs: { model: '${{parent.outputs.final}}' },
    sampling_algorithm: { type: 'random', seed: 1 },
    search_space: { lr: { type: 'uniform', min_value: 0.01, max_value: 0.1 } },
    objective: { goal: 'minimize', primary_metric: 'loss' },
    limits: { max_total_trials: 3, max_concurrent_trials: 2 },
    ...extra,
  });
  const withTune = (extra: Record<string, unknown> = {}) =>
    yaml({
      prep: threeSteps.prep,
      tune: tune(extra),
      score: { ...threeSteps.score, inputs: { m: '${{parent.jobs.tune.outputs.model}}' } },
    });

  it('plans the trial component with its bindings; the swept input is left to each trial', () => {
    const p = plan(withTune(), { tune: train });
    expect(p.order).toEqual(['prep', 'tune', 'score']);
    const step = p.steps.tune;
    expect(step?.sweep).toMatchObject({
      sampling_algorithm: { type: 'random', seed: 1 },
      limits: { max_total_trials: 3 },
    });
    expect(step?.component).toBe('component file (train)');
    expect(step?.command).toContain('--lr ${{inputs.lr}}');
    // lr is swept: neither bound nor filled from the component's default.
    expect(step?.inputs).toEqual({
      data: { kind: 'step-output', step: 'prep', output: 'clean', type: 'uri_folder' },
    });
    expect(step?.dependsOn).toEqual(['prep']);
    expect(p.steps.score?.dependsOn).toEqual(['tune']);
    expect(p.outputs).toEqual({ final: { step: 'tune', output: 'model' } });
  });

  it('the sweep job spec samples the swept input into each trial and keeps the bound ones', () => {
    const p = plan(withTune(), { tune: train });
    const step = p.steps.tune;
    if (!step?.sweep) throw new Error('no sweep step');
    const spec = sweepStepJobSpec(step.sweep, {
      name: 'p_tune',
      displayName: 'tune',
      experimentName: 'Default',
      compute: step.compute,
      command: step.command,
      tags: { 'azureml.pipeline': 'p' },
      inputs: { data: { type: 'uri_folder', path: 'azureml://jobs/p_prep/outputs/clean' } },
      outputs: step.outputs,
    });
    const config = parseSweepSpec(spec);
    expect(config.trial.inputs).toEqual({
      lr: '${{search_space.lr}}',
      data: { type: 'uri_folder', path: 'azureml://jobs/p_prep/outputs/clean' },
    });
    expect(trialSpec(config.trial, { lr: 0.05 }, 'p_tune_trial0').inputs).toMatchObject({ lr: 0.05 });
    expect(config.limits).toMatchObject({ maxTotalTrials: 3, maxConcurrentTrials: 2 });
  });

  it('names the field, rule and value of a bad sweep step', () => {
    const notAnInput = errorOf(() =>
      plan(withTune({ search_space: { depth: { type: 'choice', values: [1, 2] } } }), { tune: train }),
    );
    expect([notAnInput.code, notAnInput.target]).toEqual([
      'PipelineGraphInvalid',
      'jobs.tune.search_space.depth',
    ]);
    expect(notAnInput.message).toContain(
      "has no input 'depth' (a sweep step's search space names the trial's inputs; its inputs: data, lr)",
    );

    const alsoBound = errorOf(() =>
      plan(withTune({ inputs: { data: '${{parent.jobs.prep.outputs.clean}}', lr: 0.5 } }), { tune: train }),
    );
    expect(alsoBound.target).toBe('jobs.tune.inputs.lr');
    expect(alsoBound.message).toContain("'lr' is swept (search_space.lr)");

    const badGoal = errorOf(() =>
      plan(withTune({ objective: { goal: 'best', primary_metric: 'loss' } }), { tune: train }),
    );
    expect(badGoal.target).toBe('jobs.tune.objective.goal');
    expect(badGoal.message).toMatch(/^jobs\.tune\.objective\.goal: .*got "best"/);

    const badLimit = errorOf(() => plan(withTune({ limits: { max_total_trials: 0 } }), { tune: train }));
    expect(badLimit.target).toBe('jobs.tune.limits.max_total_trials');
    expect(badLimit.message).toContain('got 0');

    const grid = errorOf(() => plan(withTune({ sampling_algorithm: 'grid' }), { tune: train }));
    expect(grid.target).toBe('jobs.tune.search_space.lr.type');
    expect(grid.message).toContain('grid sampling takes choice only; got uniform');

    const unknown = errorOf(() => plan(withTune({ command: 'python x.py' }), { tune: train }));
    expect(unknown.message).toContain("jobs.tune: unknown field 'command'");

    const noTrial = errorOf(() => plan(withTune({ trial: undefined }), { tune: train }));
    expect(noTrial.target).toBe('jobs.tune.trial');
  });
});
