import { z } from 'zod';
import { HangarError, throwIfProblems, type Problem } from '../errors/hangar-error.js';
import { zodProblems } from '../errors/zod-problems.js';
import type { CommandComponentSpec } from '../assets/component-spec.js';
import { parameterNames, parseSearchSpace } from '../sweeps/search-space.js';
import { parseSweepSpec } from '../sweeps/sweep-spec.js';

/**
 * A sweep as a pipeline step (az ml's `type: sweep` node): a sweep job whose trial is a command
 * component, with the step's inputs bound like a component step's. The search space's parameters
 * are the component's input names (as on Azure); each trial gets its sampled values as those
 * inputs. The step's outputs are the best trial's.
 */

/** The sweep node's own settings, kept as written and checked by `parseSweepSpec`. */
export interface SweepStepSettings {
  sampling_algorithm: unknown;
  search_space: Record<string, unknown>;
  objective: unknown;
  limits?: Record<string, unknown>;
  early_termination?: Record<string, unknown> | null;
}

const portName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'names are letters, digits and _');

export const sweepStepSchema = z.strictObject({
  type: z.literal('sweep'),
  name: z.string().optional(),
  display_name: z.string().optional(),
  description: z.string().optional(),
  tags: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String)).optional(),
  /** `azureml:<name>:<version>`, `azureml:<name>@latest`, or the spec of a component file the CLI inlined. */
  trial: z.union([z.string().min(1), z.record(z.string(), z.unknown())]),
  compute: z.string().min(1).optional(),
  inputs: z.record(portName, z.unknown()).optional(),
  outputs: z.record(portName, z.unknown()).optional(),
  sampling_algorithm: z.unknown(),
  search_space: z.record(z.string(), z.unknown()),
  objective: z.unknown(),
  limits: z.record(z.string(), z.unknown()).optional(),
  early_termination: z.record(z.string(), z.unknown()).nullable().optional(),
});

export type SweepStepNode = z.infer<typeof sweepStepSchema>;

/** Parses a `type: sweep` node; every problem names `jobs.<step>.<field>`. */
export function parseSweepStep(node: Record<string, unknown>, field: string): SweepStepNode {
  const r = sweepStepSchema.safeParse(node);
  if (!r.success) throwIfProblems(zodProblems(r.error, node, field));
  return (r as { data: SweepStepNode }).data;
}

/** A sweep-spec error re-targeted under the step (`search_space.lr.type` → `jobs.tune.search_space.lr.type`). */
function underStep(err: HangarError, field: string): HangarError {
  const move = (p: { message: string; target?: string | undefined }): Problem => ({
    code: err.code,
    target: p.target ? `${field}.${p.target}` : field,
    message: p.target && p.message.startsWith(p.target) ? `${field}.${p.message}` : `${field}: ${p.message}`,
  });
  const details = (err.details ?? []) as { code?: string; message: string; target?: string }[];
  if (details.length > 1) throwIfProblems(details.map(move));
  const moved = move({ message: err.message, ...(err.target ? { target: err.target } : {}) });
  return new HangarError(err.code, moved.message, moved.target);
}

/**
 * Checks a sweep step against its trial component: every search-space parameter is an input of
 * the component and is not bound on the step too; the sweep settings are valid (the same checks
 * as a sweep job). Answers the swept input names.
 */
export function checkSweepStep(
  field: string,
  settings: SweepStepSettings,
  component: { ref: string; spec: CommandComponentSpec },
  stepInputs: Record<string, unknown>,
  compute: string,
): Set<string> {
  const swept = parameterNames(parseSearchSpaceUnder(settings.search_space, field));
  for (const name of swept) {
    if (!Object.hasOwn(component.spec.inputs, name))
      throw new HangarError(
        'PipelineGraphInvalid',
        `${field}.search_space.${name}: the trial component ${component.ref} has no input '${name}' (a sweep step's search space names the trial's inputs; its inputs: ${Object.keys(component.spec.inputs).join(', ') || 'none'}).`,
        `${field}.search_space.${name}`,
      );
    if (Object.hasOwn(stepInputs, name))
      throw new HangarError(
        'ValidationFailed',
        `${field}.inputs.${name}: '${name}' is swept (search_space.${name}); remove it from the step's inputs.`,
        `${field}.inputs.${name}`,
      );
  }
  const instances = (component.spec.resources as { instance_count?: unknown } | undefined)?.instance_count;
  if (instances !== undefined && instances !== 1)
    throw new HangarError(
      'NotImplemented',
      `${field}.trial.resources.instance_count: sweep trials run on one node in Hangar; got ${JSON.stringify(instances)}.`,
      `${field}.trial.resources.instance_count`,
    );
  try {
    parseSweepSpec(sweepFields(settings, compute, component.spec.command));
  } catch (err) {
    if (err instanceof HangarError) throw underStep(err, field);
    throw err;
  }
  return swept;
}

function parseSearchSpaceUnder(raw: Record<string, unknown>, field: string) {
  try {
    return parseSearchSpace(raw);
  } catch (err) {
    if (err instanceof HangarError) throw underStep(err, field);
    throw err;
  }
}

/** The sweep job fields of a step, beside its trial. */
function sweepFields(settings: SweepStepSettings, compute: string, command: string): Record<string, unknown> {
  return {
    type: 'sweep',
    compute,
    sampling_algorithm: settings.sampling_algorithm,
    search_space: settings.search_space,
    objective: settings.objective,
    ...(settings.limits ? { limits: settings.limits } : {}),
    ...(settings.early_termination ? { early_termination: settings.early_termination } : {}),
    trial: { command },
  };
}

/** What the sweep job of a step is made of: the step's trial (a command job less its inputs) and its bound inputs. */
export interface SweepStepJob {
  name: string;
  displayName: string;
  experimentName: string;
  compute: string;
  command: string;
  environment?: string | Record<string, unknown>;
  environmentVariables?: Record<string, string>;
  distribution?: Record<string, unknown>;
  resources?: Record<string, unknown>;
  description?: string;
  tags: Record<string, string>;
  identity?: unknown;
  /** The step's inputs, bindings followed (literals, data references, producers' job outputs). */
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
}

/**
 * The sweep job spec a sweep step runs: each swept input of the trial is `${{search_space.<name>}}`
 * (so each trial has its sampled value as that input, and the component's command is unchanged).
 */
export function sweepStepJobSpec(settings: SweepStepSettings, job: SweepStepJob): Record<string, unknown> {
  const swept = parameterNames(parseSearchSpace(settings.search_space));
  const trial: Record<string, unknown> = {
    command: job.command,
    inputs: Object.fromEntries([...swept].map((n) => [n, `\${{search_space.${n}}}`])),
  };
  if (job.environment !== undefined) trial.environment = job.environment;
  if (job.environmentVariables) trial.environment_variables = job.environmentVariables;
  if (job.distribution) trial.distribution = job.distribution;
  if (job.resources) trial.resources = job.resources;
  const spec: Record<string, unknown> = {
    ...sweepFields(settings, job.compute, job.command),
    name: job.name,
    display_name: job.displayName,
    experiment_name: job.experimentName,
    tags: job.tags,
    trial,
    inputs: job.inputs,
    outputs: job.outputs,
  };
  if (job.description) spec.description = job.description;
  if (job.identity !== undefined) spec.identity = job.identity;
  return spec;
}
