import { describe, expect, it } from 'vitest';
import { outputRegistrations } from './job-outputs.js';
import { parseJobSpec } from './job-spec.js';

const spec = (outputs: Record<string, unknown>) => parseJobSpec({ command: 'true', outputs });

describe('outputRegistrations', () => {
  it('registers named outputs: models as models, the rest as data', () => {
    expect(
      outputRegistrations(
        spec({
          model: { type: 'mlflow_model', name: 'clf', version: 3 },
          table: { type: 'uri_folder', name: 'scores', description: 'd' },
          scratch: null,
        }),
      ),
    ).toEqual([
      { output: 'model', assetKind: 'model', name: 'clf', version: '3', type: 'mlflow_model' },
      { output: 'table', assetKind: 'data', name: 'scores', type: 'uri_folder', description: 'd' },
    ]);
  });
  it('refuses a version without a name, and a path outside workspaceblobstore, naming the field', () => {
    expect(() => outputRegistrations(spec({ m: { version: 2 } }))).toThrow(
      /outputs\.m\.version: '2' needs outputs\.m\.name/,
    );
    expect(() => outputRegistrations(spec({ m: { path: 'azureml://datastores/other/paths/x' } }))).toThrow(
      /outputs\.m\.path/,
    );
    expect(
      outputRegistrations(spec({ m: { path: 'azureml://datastores/workspaceblobstore/paths/x' } })),
    ).toEqual([]);
  });
});
