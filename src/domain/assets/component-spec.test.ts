import { describe, expect, it } from 'vitest';
import { checkCommandComponent, checkPipelineComponent } from './component-spec.js';

const base = {
  name: 'train',
  type: 'command',
  inputs: { data: { type: 'uri_folder' }, lr: { type: 'number', default: 0.1 } },
  outputs: { model: { type: 'mlflow_model' } },
  environment: 'azureml:sk@latest',
  command: 'python train.py --data ${{inputs.data}} --lr ${{inputs.lr}} --out ${{outputs.model}}',
};

describe('command components', () => {
  it('accepts typed inputs and outputs the command uses', () => {
    const c = checkCommandComponent(base);
    expect(c.inputs.lr).toEqual({ type: 'number', default: 0.1 });
    expect(c.outputs.model?.type).toBe('mlflow_model');
  });

  it('names the field of each problem', () => {
    expect(() => checkCommandComponent({ ...base, type: 'pipeline' })).toThrow(
      /componentSpec.type: 'pipeline' components are not supported/,
    );
    expect(() => checkCommandComponent({ ...base, command: 'echo ${{inputs.nope}}' })).toThrow(
      /componentSpec.command: '\$\{\{inputs.nope\}\}' names no declared input \(declared: data, lr\)/,
    );
    expect(() => checkCommandComponent({ ...base, inputs: { x: { type: 'tensor' } } })).toThrow(
      /^componentSpec.inputs.x.type:/,
    );
    expect(() => checkCommandComponent({ ...base, outputs: { '1bad': { type: 'uri_folder' } } })).toThrow(
      /componentSpec.outputs.1bad: a port name/,
    );
    const { command: _c, ...noCommand } = base;
    expect(() => checkCommandComponent(noCommand)).toThrow(/^componentSpec.command:/);
  });
});

describe('pipeline components', () => {
  const pipe = {
    name: 'prep_and_train',
    type: 'pipeline',
    inputs: { rows: { type: 'integer' } },
    outputs: { model: { type: 'uri_folder' } },
    jobs: { first: { type: 'command', componentId: 'azureml_anonymous:1' } },
  };

  it('keeps its ports and its graph as given', () => {
    const c = checkPipelineComponent(pipe);
    expect(Object.keys(c.jobs)).toEqual(['first']);
    expect(c.inputs.rows).toEqual({ type: 'integer' });
  });

  it('names the field, the rule and the value of each problem', () => {
    expect(() => checkPipelineComponent({ ...pipe, jobs: {} })).toThrow(
      /^componentSpec.jobs: a pipeline component needs at least one step\.$/,
    );
    const { jobs: _j, ...noJobs } = pipe;
    expect(() => checkPipelineComponent(noJobs)).toThrow(/^componentSpec.jobs:/);
    expect(() => checkPipelineComponent({ ...pipe, jobs: { '2nd': {} } })).toThrow(
      "componentSpec.jobs.2nd: a step name uses letters, digits and '_' and does not start with a digit; got '2nd'.",
    );
    expect(() => checkPipelineComponent({ ...pipe, inputs: { 'a-b': { type: 'string' } } })).toThrow(
      "componentSpec.inputs.a-b: a port name uses letters, digits and '_' and does not start with a digit; got 'a-b'.",
    );
  });
});
