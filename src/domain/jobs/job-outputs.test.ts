import { describe, expect, it } from 'vitest';
import { datastoreOutputs, outputRegistrations } from './job-outputs.js';
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
  it('refuses a version without a name, a path outside the datastores, and a name for a datastore path, naming the field', () => {
    expect(() => outputRegistrations(spec({ m: { version: 2 } }))).toThrow(
      /outputs\.m\.version: '2' needs outputs\.m\.name/,
    );
    expect(() => outputRegistrations(spec({ m: { path: 'wasbs://c@a.blob.core.windows.net/x' } }))).toThrow(
      /^outputs\.m\.path: 'wasbs:\/\/c@a\.blob\.core\.windows\.net\/x': an output is stored/,
    );
    expect(() =>
      outputRegistrations(spec({ m: { path: 'azureml://datastores/other/paths/x', name: 'scores' } })),
    ).toThrow(
      /^outputs\.m\.name: an output written to a datastore path \('azureml:\/\/datastores\/other\/paths\/x'\)/,
    );
    expect(outputRegistrations(spec({ m: { path: 'azureml://datastores/other/paths/x' } }))).toEqual([]);
    expect(
      outputRegistrations(spec({ m: { path: 'azureml://datastores/workspaceblobstore/paths/x' } })),
    ).toEqual([]);
  });
  it('lists the outputs written in place on a datastore other than workspaceblobstore', () => {
    expect(
      datastoreOutputs(
        spec({
          a: { path: 'azureml://datastores/shared/paths/out' },
          b: { path: 'azureml://datastores/workspaceblobstore/paths/x' },
          c: null,
        }),
      ),
    ).toEqual([{ output: 'a', path: 'azureml://datastores/shared/paths/out' }]);
  });
});
