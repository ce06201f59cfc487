import { describe, expect, it } from 'vitest';
import { checkCommandComponent } from './component-spec.js';

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
