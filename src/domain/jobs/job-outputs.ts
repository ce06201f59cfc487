import { HangarError } from '../errors/hangar-error.js';
import type { OutputToRegister } from './job-record.js';
import type { JobSpec } from './job-spec.js';

/**
 * The outputs a job registers when it completes: those with a `name` (as az ml). `*_model` types
 * become model versions, the others data versions; `version` omitted takes the next number.
 * Outputs are stored at the job's end (`upload`); `rw_mount` and `direct` are accepted and
 * mean the same here, since the output folder is the job's own until then.
 */
export function outputRegistrations(spec: Pick<JobSpec, 'outputs'>): OutputToRegister[] {
  const out: OutputToRegister[] = [];
  for (const [output, o] of Object.entries(spec.outputs ?? {})) {
    if (!o) continue;
    if (o.version !== undefined && o.name === undefined)
      throw new HangarError(
        'ValidationFailed',
        `outputs.${output}.version: '${o.version}' needs outputs.${output}.name, the data or model to register the output as.`,
        `outputs.${output}.version`,
      );
    const elsewhere = o.path !== undefined && !o.path.startsWith('azureml://datastores/workspaceblobstore/');
    if (elsewhere && !o.path?.startsWith('azureml://datastores/'))
      throw new HangarError(
        'NotImplemented',
        `outputs.${output}.path: '${o.path}': an output is stored in Hangar's own store (workspaceblobstore) or written to a folder on a hangar_path datastore (azureml://datastores/<name>/paths/<folder>); other paths are not supported.`,
        `outputs.${output}.path`,
      );
    // Written in place on a datastore (see datastoreOutputs): no stored snapshot to register.
    if (elsewhere && o.name !== undefined)
      throw new HangarError(
        'NotImplemented',
        `outputs.${output}.name: an output written to a datastore path ('${o.path}') is not registered as an asset; register the folder afterwards with \`hangar data create --path ${o.path}\`, or remove path to store the output and register it.`,
        `outputs.${output}.name`,
      );
    if (o.name === undefined) continue;
    const reg: OutputToRegister = {
      output,
      assetKind: o.type.endsWith('_model') ? 'model' : 'data',
      name: o.name,
      type: o.type,
    };
    if (o.version !== undefined) reg.version = o.version;
    if (o.description !== undefined) reg.description = o.description;
    out.push(reg);
  }
  return out;
}

/**
 * Outputs written straight to a folder on a datastore other than workspaceblobstore
 * (`path: azureml://datastores/<name>/paths/<folder>`): the folder is bound writable at the
 * output's place while the job runs, and nothing is uploaded for it.
 */
export function datastoreOutputs(spec: Pick<JobSpec, 'outputs'>): { output: string; path: string }[] {
  return Object.entries(spec.outputs ?? {}).flatMap(([output, o]) =>
    o?.path !== undefined &&
    o.path.startsWith('azureml://datastores/') &&
    !o.path.startsWith('azureml://datastores/workspaceblobstore/')
      ? [{ output, path: o.path }]
      : [],
  );
}
