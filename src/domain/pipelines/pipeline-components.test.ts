import { describe, expect, it } from 'vitest';
import { HangarError } from '../errors/hangar-error.js';
import {
  checkPipelineComponentGraph,
  expandPipelineComponents,
  maxPipelineComponentDepth,
  type ComponentLoader,
} from './pipeline-components.js';
import { parsePipelineSpec, planPipeline } from './pipeline-spec.js';

type Json = Record<string, unknown>;

/** prep → train inside a component: input `rows` (default 5) and `data`, output `model`. */
const prepAndTrain: Json = {
  type: 'pipeline',
  name: 'prep_and_train',
  inputs: { rows: { type: 'integer', default: 5 }, data: { type: 'uri_folder' } },
  outputs: { model: { type: 'uri_folder' } },
  jobs: {
    prep: {
      command: 'head -n ${{inputs.n}} ${{inputs.raw}}/a.txt > ${{outputs.clean}}/a.txt',
      environment: 'azureml:env@latest',
      inputs: { n: '${{parent.inputs.rows}}', raw: { path: '${{parent.inputs.data}}', mode: 'download' } },
      outputs: { clean: null },
    },
    train: {
      command: 'cp ${{inputs.data}}/a.txt ${{outputs.model}}/m.txt',
      environment: 'azureml:env@latest',
      inputs: { data: '${{parent.jobs.prep.outputs.clean}}' },
      outputs: { model: '${{parent.outputs.model}}' },
    },
  },
};

/** A loader over registered components by `azureml:<name>:<version>`, inlined ones as `component file (name)`. */
function loader(registered: Record<string, Json>): ComponentLoader {
  return (c, field) => {
    if (typeof c !== 'string')
      return Promise.resolve({ ref: `component file (${String(c.name)})`, spec: c, inline: true });
    const ref = c.replace('@latest', ':1');
    const spec = registered[ref];
    if (!spec) return Promise.reject(new HangarError('NotFound', `${field}: no ${c}`, field));
    return Promise.resolve({ ref, spec });
  };
}

const pipeline = (jobs: Json): Json => ({
  type: 'pipeline',
  settings: { default_compute: 'azureml:cpu' },
  inputs: { raw: { type: 'uri_folder', path: 'azureml:raw:1' } },
  outputs: { final: { type: 'uri_folder' } },
  jobs,
});

async function errorOf(p: Promise<unknown>): Promise<HangarError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof HangarError) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('expandPipelineComponents', () => {
  it('leaves a pipeline without pipeline component steps as it is', async () => {
    const spec = pipeline({ a: { command: 'true' } });
    expect(await expandPipelineComponents(spec, loader({}))).toBe(spec);
  });

  it('expands a nested step into prefixed steps, bindings rewired to the parent and to the next step', async () => {
    const spec = pipeline({
      sub: {
        type: 'pipeline',
        component: 'azureml:prep_and_train@latest',
        inputs: { data: '${{parent.inputs.raw}}' },
      },
      report: {
        command: 'cat ${{inputs.m}}/m.txt',
        environment: 'azureml:env@latest',
        inputs: { m: '${{parent.jobs.sub.outputs.model}}' },
        outputs: { out: '${{parent.outputs.final}}' },
      },
    });
    const out = await expandPipelineComponents(spec, loader({ 'azureml:prep_and_train:1': prepAndTrain }));
    const jobs = out.jobs as Record<string, Json>;
    expect(Object.keys(jobs).sort()).toEqual(['report', 'sub_prep', 'sub_train']);
    // The default fills `rows`; the inner mode stays on the rebound input.
    expect(jobs.sub_prep?.inputs).toEqual({
      n: 5,
      raw: { path: '${{parent.inputs.raw}}', mode: 'download' },
    });
    expect(jobs.sub_train?.inputs).toEqual({ data: '${{parent.jobs.sub_prep.outputs.clean}}' });
    expect(jobs.sub_train?.outputs).toEqual({ model: null });
    expect(jobs.report?.inputs).toEqual({ m: '${{parent.jobs.sub_train.outputs.model}}' });
    // The result plans as an ordinary pipeline: sub_prep → sub_train → report.
    const { spec: parsed, steps } = parsePipelineSpec(out);
    expect(planPipeline(parsed, steps, {}).order).toEqual(['sub_prep', 'sub_train', 'report']);
  });

  it('binds a component output to a pipeline output, and a step compute to inner steps without one', async () => {
    const spec = pipeline({
      sub: {
        component: { ...prepAndTrain },
        compute: 'azureml:gpu',
        inputs: { data: '${{parent.inputs.raw}}', rows: 2 },
        outputs: { model: '${{parent.outputs.final}}' },
      },
    });
    const jobs = (await expandPipelineComponents(spec, loader({}))).jobs as Record<string, Json>;
    expect(jobs.sub_train?.outputs).toEqual({ model: '${{parent.outputs.final}}' });
    expect(jobs.sub_prep?.inputs).toMatchObject({ n: 2 });
    expect([jobs.sub_prep?.compute, jobs.sub_train?.compute]).toEqual(['azureml:gpu', 'azureml:gpu']);
  });

  it('expands components nested two deep, outputs passed up through both', async () => {
    const outer: Json = {
      type: 'pipeline',
      name: 'outer',
      inputs: { d: { type: 'uri_folder' } },
      outputs: { m: { type: 'uri_folder' } },
      jobs: {
        inner: {
          type: 'pipeline',
          component: 'azureml:prep_and_train:1',
          inputs: { data: '${{parent.inputs.d}}', rows: 9 },
          outputs: { model: '${{parent.outputs.m}}' },
        },
      },
    };
    const spec = pipeline({
      top: { type: 'pipeline', component: 'azureml:outer:1', inputs: { d: '${{parent.inputs.raw}}' } },
      after: { command: 'true', inputs: { m: '${{parent.jobs.top.outputs.m}}' } },
    });
    const jobs = (
      await expandPipelineComponents(
        spec,
        loader({ 'azureml:outer:1': outer, 'azureml:prep_and_train:1': prepAndTrain }),
      )
    ).jobs as Record<string, Json>;
    expect(Object.keys(jobs).sort()).toEqual(['after', 'top_inner_prep', 'top_inner_train']);
    expect(jobs.top_inner_prep?.inputs).toMatchObject({ n: 9, raw: { path: '${{parent.inputs.raw}}' } });
    expect(jobs.top_inner_train?.inputs).toEqual({ data: '${{parent.jobs.top_inner_prep.outputs.clean}}' });
    expect(jobs.after?.inputs).toEqual({ m: '${{parent.jobs.top_inner_train.outputs.model}}' });
  });

  it('refuses a component that contains itself, naming the field and the cycle', async () => {
    const loop: Json = {
      type: 'pipeline',
      jobs: { again: { type: 'pipeline', component: 'azureml:loop@latest' } },
    };
    const e = await errorOf(
      expandPipelineComponents(
        pipeline({ a: { type: 'pipeline', component: 'azureml:loop:1' } }),
        loader({ 'azureml:loop:1': loop }),
      ),
    );
    expect(e.code).toBe('PipelineGraphInvalid');
    expect(e.target).toBe('jobs.a.component.jobs.again.component');
    expect(e.message).toContain('azureml:loop:1 → azureml:loop:1');
  });

  it(`refuses nesting deeper than ${maxPipelineComponentDepth}, naming the field`, async () => {
    const registered: Record<string, Json> = {};
    for (let i = 0; i <= maxPipelineComponentDepth; i++)
      registered[`azureml:level${i}:1`] = {
        type: 'pipeline',
        jobs: {
          s:
            i === maxPipelineComponentDepth
              ? { command: 'true', environment: 'azureml:env@latest' }
              : { type: 'pipeline', component: `azureml:level${i + 1}:1` },
        },
      };
    const e = await errorOf(
      expandPipelineComponents(
        pipeline({ a: { type: 'pipeline', component: 'azureml:level0:1' } }),
        loader(registered),
      ),
    );
    expect(e.code).toBe('ValidationFailed');
    expect(e.target).toBe(`jobs.a${'.component.jobs.s'.repeat(maxPipelineComponentDepth)}.component`);
    expect(e.message).toContain(`at most ${maxPipelineComponentDepth} deep`);
  });

  it.each([
    [{ inputs: { data: '${{parent.inputs.raw}}', nope: 1 } }, 'jobs.sub.inputs.nope', "has no input 'nope'"],
    [{ inputs: {} }, 'jobs.sub.inputs.data', 'required by the pipeline component'],
    [
      { inputs: { data: '${{parent.inputs.raw}}' }, outputs: { other: null } },
      'jobs.sub.outputs.other',
      "has no output 'other'",
    ],
    [
      { inputs: { data: '${{parent.inputs.raw}}' }, command: 'true' },
      'jobs.sub.command',
      "'command' belongs on the steps",
    ],
  ])('refuses a bad nested step %j naming %s', async (extra, target, words) => {
    const e = await errorOf(
      expandPipelineComponents(
        pipeline({ sub: { type: 'pipeline', component: 'azureml:prep_and_train:1', ...extra } }),
        loader({ 'azureml:prep_and_train:1': prepAndTrain }),
      ),
    );
    expect(e.target).toBe(target);
    expect(e.message).toContain(words);
  });

  it('refuses a reference to an output the component does not have, and a name clash', async () => {
    const load = loader({ 'azureml:prep_and_train:1': prepAndTrain });
    const step = {
      type: 'pipeline',
      component: 'azureml:prep_and_train:1',
      inputs: { data: 'azureml:raw:1' },
    };
    const bad = await errorOf(
      expandPipelineComponents(
        pipeline({ sub: step, b: { command: 'x', inputs: { m: '${{parent.jobs.sub.outputs.modl}}' } } }),
        load,
      ),
    );
    expect([bad.target, bad.message]).toEqual([
      'jobs.b.inputs.m',
      "jobs.b.inputs.m: '${{parent.jobs.sub.outputs.modl}}': step 'sub' has no output 'modl' (its outputs: model).",
    ]);
    const clash = await errorOf(
      expandPipelineComponents(pipeline({ sub: step, sub_prep: { command: 'x' } }), load),
    );
    expect([clash.target, clash.message]).toEqual([
      'jobs.sub',
      "jobs.sub: its step 'prep' would be the step 'sub_prep', which this pipeline already has; rename one of them.",
    ]);
  });

  it('names a bad component spec under the step', async () => {
    const e = await errorOf(
      expandPipelineComponents(
        pipeline({ sub: { type: 'pipeline', component: { type: 'pipeline', name: 'x', jobs: {} } } }),
        loader({}),
      ),
    );
    expect(e.target).toBe('jobs.sub.component.jobs');
  });
});

describe('checkPipelineComponentGraph', () => {
  it('accepts a component whose bindings name its ports and steps (YAML or REST nodes)', () => {
    expect(() => checkPipelineComponentGraph(prepAndTrain)).not.toThrow();
    expect(() =>
      checkPipelineComponentGraph({
        ...prepAndTrain,
        jobs: {
          prep: {
            componentId: 'x',
            inputs: { n: { job_input_type: 'literal', value: '${{parent.inputs.rows}}' } },
          },
          train: {
            componentId: 'y',
            outputs: { model: { type: 'literal', value: '${{parent.outputs.model}}' } },
          },
        },
      }),
    ).not.toThrow();
  });

  const jobsWith = (patch: Json): Json => ({
    ...prepAndTrain,
    jobs: { ...(prepAndTrain.jobs as Json), ...patch },
  });
  it.each([
    [
      jobsWith({ x: { component: './train.yml' } }),
      'componentSpec.jobs.x.component',
      "'./train.yml' is not a registered",
    ],
    [
      jobsWith({ x: { command: 'c', inputs: { a: '${{parent.inputs.nope}}' } } }),
      'componentSpec.jobs.x.inputs.a',
      'names no input',
    ],
    [
      jobsWith({ x: { command: 'c', inputs: { a: '${{parent.jobs.zz.outputs.o}}' } } }),
      'componentSpec.jobs.x.inputs.a',
      "no step 'zz'",
    ],
    [
      jobsWith({ x: { command: 'c', outputs: { o: '${{parent.outputs.model}}' } } }),
      'componentSpec.jobs.x.outputs.o',
      'already',
    ],
    [
      { ...prepAndTrain, outputs: { model: { type: 'uri_folder' }, extra: { type: 'uri_folder' } } },
      'componentSpec.outputs.extra',
      'no step writes it',
    ],
  ])('refuses %#, naming %s', (spec, target, words) => {
    let err: unknown;
    try {
      checkPipelineComponentGraph(spec);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HangarError);
    expect((err as HangarError).target).toBe(target);
    expect((err as HangarError).message).toContain(words);
  });
});
