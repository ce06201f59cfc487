import { describe, expect, it } from 'vitest';
import { HangarError } from '../errors/hangar-error.js';
import { outputFolders, renderCommand } from './command-template.js';
import { parseJobSpec } from './job-spec.js';

function refusal(raw: unknown): HangarError {
  try {
    parseJobSpec(raw);
  } catch (err) {
    if (err instanceof HangarError) return err;
    throw err;
  }
  throw new Error('accepted');
}

describe('job spec', () => {
  it.each([
    ['parallel', 'Parallel jobs (type: parallel) are not supported by Hangar yet'],
    ['spark', 'Spark jobs (type: spark) are not supported by Hangar yet'],
    ['automl', 'AutoML jobs (type: automl) are not supported by Hangar yet'],
  ])('refuses type: %s with one sentence, not a list of schema problems', (type, sentence) => {
    // A real pipeline/sweep YAML has none of a command job's fields: no schema problems may leak.
    const e = refusal({ type, jobs: { a: { type: 'command' } }, trial: {}, settings: {} });
    expect(e.code).toBe('NotImplemented');
    expect(e.target).toBe('type');
    expect(e.message).toContain(sentence);
    expect(e.message).toContain('docs/azure-ml-compatibility.md');
    expect(e.message).not.toMatch(/expected|got/);
    expect(e.details).toEqual([]);
  });

  it('still lists schema problems for an unknown type', () => {
    const e = refusal({ type: 'quantum', command: 'x' });
    expect(e.code).toBe('ValidationFailed');
    expect(e.message).toContain('type');
  });

  it('reads a bare output (null) and an empty one as a default uri_folder output', () => {
    const spec = parseJobSpec({ command: 'x', outputs: { model: null, logs: {}, f: { type: 'uri_file' } } });
    expect(spec.outputs).toEqual({
      model: { type: 'uri_folder' },
      logs: { type: 'uri_folder' },
      f: { type: 'uri_file' },
    });
    // Folders are created for folder-like outputs; a uri_file output is a file the job writes.
    expect(outputFolders(spec.outputs ?? {})).toEqual(['outputs/model', 'outputs/logs']);
    expect(renderCommand('train --out ${{outputs.model}}', {}, spec.outputs ?? {})).toBe(
      'train --out outputs/model',
    );
  });

  it('refuses every job service naming it, never accepting and dropping one', () => {
    const refusal = (services: unknown): HangarError => {
      try {
        parseJobSpec({ command: 'x', services });
      } catch (err) {
        return err as HangarError;
      }
      throw new Error('accepted');
    };
    for (const type of ['jupyter_lab', 'vs_code', 'tensor_board', 'ssh']) {
      const e = refusal({ mine: { type } });
      expect(e.code).toBe('NotImplemented');
      expect(e.target).toBe('services.mine');
      expect(e.message).toContain(`services.mine: `);
      expect(e.message).toContain(`(type: ${type})`);
    }
    const bad = refusal({ nb: { type: 'notebook' } });
    expect(bad.code).toBe('ValidationFailed');
    expect(bad.target).toBe('services.nb.type');
    expect(bad.message).toContain('jupyter_lab, vs_code, tensor_board, ssh; got "notebook"');
    expect(parseJobSpec({ command: 'x', services: {} }).command).toBe('x');
  });
});
