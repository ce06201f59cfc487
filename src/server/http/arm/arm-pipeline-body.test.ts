import { describe, expect, it } from 'vitest';
import { HangarError } from '../../../domain/errors/hangar-error.js';
import { parsePipelineSpec, planPipeline } from '../../../domain/pipelines/pipeline-spec.js';
import {
  armPipelineError,
  componentRef,
  pipelineComponentOf,
  pipelineSpecOf,
  restPipeline,
  withComponentGraph,
  withComponentPorts,
} from './arm-pipeline-body.js';

const WS = '/subscriptions/s/resourceGroups/r/providers/Microsoft.MachineLearningServices/workspaces/w';
const anon = (hash: string) => `${WS}/components/azureml_anonymous/versions/${hash}`;

/** What azure-ai-ml 1.4.0 sends for `load_job('pipeline.yml')` (../shared/notes/azureml-sdk-v2-wire.md §8.7). */
const yamlBody = {
  jobType: 'Pipeline',
  experimentName: 'pexp',
  properties: { 'azureml.git.dirty': 'True' },
  inputs: {
    raw: { uri: 'azureml://datastores/workspaceblobstore/paths/raw/', jobInputType: 'uri_folder' },
    lr0: { jobInputType: 'literal', value: '0.1' },
  },
  outputs: { final: { mode: 'ReadWriteMount', jobOutputType: 'uri_folder' } },
  settings: {
    default_compute: `${WS}/computes/cpu-cluster`,
    default_datastore: `${WS}/datastores/workspaceblobstore`,
    continue_on_step_failure: false,
    force_rerun: true,
    _source: 'YAML.JOB',
  },
  jobs: {
    prep: {
      name: 'prep',
      type: 'command',
      computeId: `${WS}/computes/gpu`,
      componentId: anon('h1'),
      _source: 'YAML.JOB',
      inputs: { x: { job_input_type: 'literal', value: '${{parent.inputs.raw}}' } },
    },
    train: {
      name: 'train',
      type: 'command',
      componentId: anon('h2'),
      inputs: {
        data: { job_input_type: 'literal', value: '${{parent.jobs.prep.outputs.o}}', mode: 'Download' },
        lr: { job_input_type: 'literal', value: '${{parent.inputs.lr0}}' },
      },
      outputs: { model: { value: '${{parent.outputs.final}}', type: 'literal' } },
    },
  },
};

/** Runs the translation and the pipeline parser and planner, answering the error as the ARM route does. */
function refusal(properties: Record<string, unknown>): HangarError {
  try {
    const { spec, steps } = parsePipelineSpec(pipelineSpecOf(properties));
    planPipeline(spec, steps, {});
  } catch (e) {
    if (e instanceof HangarError) return armPipelineError(e);
    throw e;
  }
  throw new Error('not refused');
}

const inline = (extra: Record<string, unknown> = {}) => ({
  type: 'command',
  command: 'echo ${{outputs.o}}',
  computeId: `${WS}/computes/cpu`,
  outputs: { o: { job_output_type: 'uri_folder' } },
  ...extra,
});

describe('ARM PipelineJob → az ml pipeline spec', () => {
  it('translates what load_job(pipeline.yml) sends: settings, bindings, components and computes by ARM id', () => {
    const spec = pipelineSpecOf(yamlBody);
    expect(spec).toEqual({
      type: 'pipeline',
      experiment_name: 'pexp',
      properties: { 'azureml.git.dirty': 'True' },
      settings: {
        default_compute: 'azureml:cpu-cluster',
        default_datastore: 'workspaceblobstore',
        continue_on_step_failure: false,
        force_rerun: true,
      },
      inputs: {
        raw: { type: 'uri_folder', path: 'azureml://datastores/workspaceblobstore/paths/raw/' },
        lr0: '0.1',
      },
      outputs: { final: { type: 'uri_folder', mode: 'rw_mount' } },
      jobs: {
        prep: {
          name: 'prep',
          type: 'command',
          compute: 'azureml:gpu',
          component: 'azureml:azureml_anonymous:h1',
          inputs: { x: '${{parent.inputs.raw}}' },
        },
        train: {
          name: 'train',
          type: 'command',
          component: 'azureml:azureml_anonymous:h2',
          inputs: {
            data: { path: '${{parent.jobs.prep.outputs.o}}', mode: 'download' },
            lr: '${{parent.inputs.lr0}}',
          },
          outputs: { model: '${{parent.outputs.final}}' },
        },
      },
    });
    // The native parser takes it as it is.
    expect(Object.keys(parsePipelineSpec(spec).steps)).toEqual(['prep', 'train']);
  });

  it('translates a @dsl.pipeline body (pipeline computeId, DSL settings) and reads it back in the SDK shape', () => {
    const spec = pipelineSpecOf({
      jobType: 'Pipeline',
      computeId: `${WS}/computes/cpu-cluster`,
      displayName: 'two_step',
      inputs: { n: { jobInputType: 'literal', value: '3' } },
      outputs: { trained: { jobOutputType: 'uri_folder' } },
      settings: { _source: 'DSL' },
      jobs: {
        t: {
          name: 't',
          type: 'command',
          componentId: anon('a'),
          _source: 'BUILDER',
          inputs: { n: { job_input_type: 'literal', value: '${{parent.inputs.n}}' } },
          outputs: { model: { value: '${{parent.outputs.trained}}', type: 'literal' } },
        },
      },
    });
    expect(spec).toMatchObject({ compute: 'azureml:cpu-cluster', display_name: 'two_step' });
    expect(spec.settings).toBeUndefined();
    const back = restPipeline(spec, undefined, WS);
    expect(back).toEqual({
      jobType: 'Pipeline',
      jobs: {
        t: {
          name: 't',
          type: 'command',
          componentId: anon('a'),
          inputs: { n: { job_input_type: 'literal', value: '${{parent.inputs.n}}' } },
          outputs: { model: { value: '${{parent.outputs.trained}}', type: 'literal' } },
        },
      },
      settings: { continue_on_step_failure: false, force_rerun: false },
      inputs: { n: { jobInputType: 'literal', value: '3' } },
      outputs: { trained: { jobOutputType: 'uri_folder' } },
    });
  });

  it('reads back settings and step computes as ARM ids, and a step mode on its binding', () => {
    const back = restPipeline(pipelineSpecOf(yamlBody), undefined, WS);
    expect(back.settings).toEqual({
      continue_on_step_failure: false,
      force_rerun: false,
      default_compute: `${WS}/computes/cpu-cluster`,
      default_datastore: `${WS}/datastores/workspaceblobstore`,
    });
    const jobs = back.jobs as Record<string, Record<string, unknown>>;
    expect(jobs.prep?.computeId).toBe(`${WS}/computes/gpu`);
    expect((jobs.train?.inputs as Record<string, unknown>).data).toEqual({
      job_input_type: 'literal',
      value: '${{parent.jobs.prep.outputs.o}}',
      mode: 'Download',
    });
  });

  it('reads component references as azureml:<name>:<version>, refusing others naming the field and value', () => {
    expect(componentRef(anon('h'), 'f')).toBe('azureml:azureml_anonymous:h');
    expect(componentRef('azureml:train:2', 'f')).toBe('azureml:train:2');
    expect(componentRef('train@latest', 'f')).toBe('azureml:train@latest');
    expect(() => componentRef('/no/such/thing', 'properties.jobs.a.componentId')).toThrow(
      expect.objectContaining({ code: 'ValidationFailed', target: 'properties.jobs.a.componentId' }),
    );
  });
});

describe('ARM PipelineJob sweep nodes', () => {
  it('keep their YAML form, the trial as a component reference and the policy as the YAML writes it', () => {
    const spec = pipelineSpecOf({
      jobType: 'Pipeline',
      jobs: {
        tune: {
          type: 'sweep',
          trial: { componentId: anon('t') },
          sampling_algorithm: 'random',
          search_space: { lr: { type: 'uniform', min_value: 0.001, max_value: 0.1 } },
          objective: { goal: 'minimize', primary_metric: 'loss' },
          limits: { max_concurrent_trials: 2, max_total_trials: 4 },
          early_termination: { policy_type: 'MedianStopping', evaluation_interval: 1, delay_evaluation: 3 },
        },
      },
    });
    expect(spec.jobs).toEqual({
      tune: {
        type: 'sweep',
        trial: 'azureml:azureml_anonymous:t',
        sampling_algorithm: 'random',
        search_space: { lr: { type: 'uniform', min_value: 0.001, max_value: 0.1 } },
        objective: { goal: 'minimize', primary_metric: 'loss' },
        limits: { max_concurrent_trials: 2, max_total_trials: 4 },
        early_termination: { type: 'median_stopping', evaluation_interval: 1, delay_evaluation: 3 },
      },
    });
    // Read back as sent: the trial's componentId, the policy in REST form.
    const node = (restPipeline(spec, undefined, WS).jobs as Record<string, Record<string, unknown>>).tune;
    expect(node).toMatchObject({
      type: 'sweep',
      trial: { componentId: anon('t') },
      limits: { max_concurrent_trials: 2, max_total_trials: 4 },
      early_termination: { policy_type: 'MedianStopping', evaluation_interval: 1, delay_evaluation: 3 },
    });
    expect(node?.componentId).toBeUndefined();
  });
});

describe('ARM PipelineJob bodies Hangar refuses, naming the field', () => {
  it('refuses step types Hangar does not run (spark, parallel) naming properties.jobs.<step>.type', () => {
    for (const type of ['spark', 'parallel']) {
      const err = refusal({
        jobType: 'Pipeline',
        jobs: { a: inline(), s: { type, componentId: anon('x') } },
      });
      expect(err).toMatchObject({ code: 'NotImplemented', target: 'properties.jobs.s.type' });
      expect(err.message).toContain(`properties.jobs.s.type: '${type}'`);
    }
  });

  it('refuses a binding to an unknown step or output, or an unknown binding form, naming the input and value', () => {
    const noStep = refusal({
      jobType: 'Pipeline',
      jobs: {
        a: inline(),
        b: inline({ inputs: { x: { job_input_type: 'literal', value: '${{parent.jobs.nope.outputs.o}}' } } }),
      },
    });
    expect(noStep).toMatchObject({ code: 'PipelineGraphInvalid', target: 'properties.jobs.b.inputs.x' });
    expect(noStep.message).toContain("'${{parent.jobs.nope.outputs.o}}' names no step 'nope'");
    const noOutput = refusal({
      jobType: 'Pipeline',
      jobs: {
        a: inline(),
        b: inline({ inputs: { x: { job_input_type: 'literal', value: '${{parent.jobs.a.outputs.zz}}' } } }),
      },
    });
    expect(noOutput).toMatchObject({ target: 'properties.jobs.b.inputs.x' });
    expect(noOutput.message).toContain("has no output 'zz'");
    const form = refusal({
      jobType: 'Pipeline',
      jobs: {
        a: inline({ inputs: { x: { job_input_type: 'literal', value: '${{parent.jobs.a.inputs.y}}' } } }),
      },
    });
    expect(form).toMatchObject({ code: 'PipelineGraphInvalid', target: 'properties.jobs.a.inputs.x' });
    expect(form.message).toContain('${{parent.jobs.a.inputs.y}}');
  });

  it("a job of a registered pipeline component runs the graph it carries, or else the component's", async () => {
    // The SDK sends the component's graph with its id: the graph is the pipeline.
    const carried = pipelineSpecOf({ jobType: 'Pipeline', componentId: anon('p'), jobs: { a: inline() } });
    expect(Object.keys(carried.jobs as object)).toEqual(['a']);
    const asked: string[] = [];
    const read = (spec: Record<string, unknown>) => (ref: string) => {
      asked.push(ref);
      return Promise.resolve({ componentSpec: spec });
    };
    const graph = { a: inline() };
    const component = {
      type: 'pipeline',
      jobs: graph,
      inputs: { n: { type: 'integer', default: 3 }, m: { type: 'integer' } },
      outputs: { o: { type: 'uri_folder' } },
    };
    expect(await pipelineComponentOf({ jobType: 'Pipeline', jobs: graph }, read(component))).toBeUndefined();
    const bare = { jobType: 'Pipeline', componentId: `${WS}/components/pipe/versions/2` };
    const found = await pipelineComponentOf(bare, read(component));
    expect(asked).toEqual(['azureml:pipe:2']);
    expect(withComponentGraph(bare, found).jobs).toEqual(graph);
    const other = { b: inline() };
    expect(withComponentGraph({ ...bare, jobs: other }, found).jobs).toEqual(other);
    // Ports the job left out: every output, each input's default; what the job gave stays.
    const ported = withComponentPorts({ type: 'pipeline', inputs: { m: 1 }, jobs: {} }, found);
    expect(ported.inputs).toEqual({ m: 1, n: 3 });
    expect(ported.outputs).toEqual({ o: { type: 'uri_folder' } });
    const command = await pipelineComponentOf(bare, read({ type: 'command', command: 'true' })).catch(
      (e) => e,
    );
    expect(command).toMatchObject({ code: 'ValidationFailed', target: 'properties.componentId' });
    expect(command.message).toContain("'azureml:pipe:2' is a command component");
    const notRef = await pipelineComponentOf({ componentId: 'pipe' }, read({})).catch((e) => e);
    expect(notRef).toMatchObject({ code: 'ValidationFailed', target: 'properties.componentId' });
    expect(notRef.message).toContain("'pipe' is not a component reference");
  });

  it('refuses an empty pipeline, bad inputs and unknown settings', () => {
    expect(refusal({ jobType: 'Pipeline', jobs: {} })).toMatchObject({ target: 'properties.jobs' });
    const input = refusal({
      jobType: 'Pipeline',
      inputs: { d: { jobInputType: 'uri_folder' } },
      jobs: { a: inline() },
    });
    expect(input).toMatchObject({ code: 'ValidationFailed', target: 'properties.inputs.d' });
    expect(input.message).toContain('{"jobInputType":"uri_folder"}');
    const setting = refusal({ jobType: 'Pipeline', settings: { on_init: 'a' }, jobs: { a: inline() } });
    expect(setting.target).toBe('properties.settings.on_init');
    expect(pipelineSpecOf({ jobType: 'Pipeline', jobs: { a: inline({ limits: {} }) } }).jobs).toEqual({
      a: expect.not.objectContaining({ limits: expect.anything() }),
    });
    const timeout = refusal({ jobType: 'Pipeline', jobs: { a: inline({ limits: { timeout: '1h' } }) } });
    expect(timeout).toMatchObject({ target: 'properties.jobs.a.limits.timeout' });
  });
});
