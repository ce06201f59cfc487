import { describe, expect, it } from 'vitest';
import { pipelineSpecOf, withComponentGraph, yamlJobsOf } from './arm-pipeline-body.js';

// The SDK's pipeline component nodes (REST shape) as YAML steps, so a nested `type: pipeline` node expands.
describe('pipeline component nodes from the SDK', () => {
  it('converts REST nodes (componentId, literal bindings) and keeps YAML nodes as written', () => {
    const jobs = yamlJobsOf(
      {
        first: {
          type: 'command',
          componentId:
            '/subscriptions/s/resourceGroups/r/providers/x/workspaces/w/components/prep/versions/3',
          inputs: { n: { job_input_type: 'literal', value: '${{parent.inputs.rows}}' } },
          outputs: { data: { type: 'literal', value: '${{parent.outputs.d}}' } },
          _source: 'DSL',
        },
        second: {
          component: 'azureml:train@latest',
          inputs: { data: '${{parent.jobs.first.outputs.data}}' },
        },
      },
      'jobs.sub.component.jobs',
    );
    expect(jobs).toEqual({
      first: {
        type: 'command',
        component: 'azureml:prep:3',
        inputs: { n: '${{parent.inputs.rows}}' },
        outputs: { data: '${{parent.outputs.d}}' },
      },
      second: { component: 'azureml:train@latest', inputs: { data: '${{parent.jobs.first.outputs.data}}' } },
    });
  });

  it('reads a Pipeline body with a nested pipeline node as a `type: pipeline` step', () => {
    const spec = pipelineSpecOf({
      jobs: {
        sub: {
          type: 'pipeline',
          name: 'sub',
          componentId: 'azureml:azureml_anonymous:abc',
          inputs: { rows: { job_input_type: 'literal', value: '${{parent.inputs.rows}}' } },
        },
      },
    });
    expect(spec.jobs).toEqual({
      sub: {
        type: 'pipeline',
        name: 'sub',
        component: 'azureml:azureml_anonymous:abc',
        inputs: { rows: '${{parent.inputs.rows}}' },
      },
    });
  });

  it('runs the YAML graph of a component registered with the CLI as a Pipeline job of it', () => {
    const graph = {
      prep: { command: 'echo ${{inputs.n}}', inputs: { n: '${{parent.inputs.rows}}' }, outputs: { o: null } },
      train: { component: { name: 'train' }, inputs: { d: '${{parent.jobs.prep.outputs.o}}' } },
    };
    const spec = pipelineSpecOf(withComponentGraph({ componentId: 'azureml:x:1' }, { jobs: graph }));
    expect(spec.jobs).toEqual(graph);
  });
});
