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
    if (o.path !== undefined && !o.path.startsWith('azureml://datastores/workspaceblobstore/'))
      throw new HangarError(
        'NotImplemented',
        `outputs.${output}.path: '${o.path}': outputs are stored in Hangar's own store (workspaceblobstore); writing them to another path is not supported yet. Remove path (and give name to register the output).`,
        `outputs.${output}.path`,
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
