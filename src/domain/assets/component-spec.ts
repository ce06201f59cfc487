import { z } from 'zod';
import { HangarError } from '../errors/hangar-error.js';

const inputTypes = [
  'string',
  'integer',
  'number',
  'boolean',
  'uri_file',
  'uri_folder',
  'mltable',
  'custom_model',
  'mlflow_model',
  'triton_model',
] as const;
const outputTypes = [
  'uri_file',
  'uri_folder',
  'mltable',
  'custom_model',
  'mlflow_model',
  'triton_model',
] as const;
const portName = /^[A-Za-z_][A-Za-z0-9_]*$/;

const inputSchema = z.object({
  type: z.enum(inputTypes),
  description: z.string().optional(),
  optional: z.boolean().optional(),
  default: z.union([z.string(), z.number(), z.boolean()]).optional(),
  min: z.number().optional(),
  max: z.number().optional(),
  enum: z.array(z.union([z.string(), z.number()])).optional(),
  mode: z.string().optional(),
});
const outputSchema = z.object({
  type: z.enum(outputTypes),
  description: z.string().optional(),
  mode: z.string().optional(),
});

/**
 * A command component (az ml's commandComponent.schema.json), in its YAML (snake_case) keys as
 * Azure's REST `componentSpec` carries them. Keys Hangar does not read are kept as given.
 */
export const commandComponentSchema = z
  .object({
    $schema: z.string().optional(),
    name: z.string().optional(),
    version: z.union([z.string(), z.number()]).optional(),
    display_name: z.string().optional(),
    description: z.string().optional(),
    tags: z.record(z.string(), z.unknown()).optional(),
    type: z.literal('command').default('command'),
    is_deterministic: z.boolean().optional(),
    inputs: z.record(z.string(), inputSchema).default({}),
    outputs: z.record(z.string(), outputSchema).default({}),
    code: z.string().optional(),
    environment: z.union([z.string().min(1), z.record(z.string(), z.unknown())]),
    command: z.string().min(1),
    resources: z.record(z.string(), z.unknown()).optional(),
    distribution: z.record(z.string(), z.unknown()).optional(),
    environment_variables: z.record(z.string(), z.unknown()).optional(),
  })
  .passthrough();
export type CommandComponentSpec = z.infer<typeof commandComponentSchema>;

/** PUT body of a component version (Azure's ComponentVersion properties). */
export const componentVersionRequestSchema = z.object({
  properties: z.object({
    componentSpec: z.record(z.string(), z.unknown()),
    description: z.string().optional(),
    tags: z.record(z.string(), z.string()).default({}),
    properties: z.record(z.string(), z.string()).default({}),
    isAnonymous: z.boolean().optional(),
    isArchived: z.boolean().optional(),
  }),
});
export type ComponentVersionRequest = z.infer<typeof componentVersionRequestSchema>;

/**
 * Checks a component spec beyond its schema: `type` (only command components run here), port
 * names, and every `${{inputs.x}}` / `${{outputs.y}}` in the command naming a declared port.
 * Errors name the field as `componentSpec.<path>`.
 */
export function checkCommandComponent(spec: Record<string, unknown>): CommandComponentSpec {
  if (spec.type !== undefined && spec.type !== 'command')
    throw new HangarError(
      'ValidationFailed',
      `componentSpec.type: '${String(spec.type)}' components are not supported here; only command components (parallel and spark components are not; a pipeline component runs as a job of its own, or as a pipeline step with 'type: pipeline', never as a trial).`,
      'componentSpec.type',
    );
  const parsed = commandComponentSchema.safeParse(spec);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = ['componentSpec', ...(issue?.path ?? []).map(String)].join('.');
    throw new HangarError('ValidationFailed', `${field}: ${issue?.message ?? 'invalid'}.`, field);
  }
  const c = parsed.data;
  for (const [kind, ports] of [
    ['inputs', c.inputs],
    ['outputs', c.outputs],
  ] as const)
    for (const name of Object.keys(ports))
      if (!portName.test(name))
        throw new HangarError(
          'ValidationFailed',
          `componentSpec.${kind}.${name}: a port name uses letters, digits and '_' and does not start with a digit.`,
          `componentSpec.${kind}.${name}`,
        );
  for (const m of c.command.matchAll(/\$\{\{\s*(inputs|outputs)\.([A-Za-z0-9_]+)\s*\}\}/g)) {
    const kind = m[1] as 'inputs' | 'outputs';
    if (!Object.hasOwn(c[kind], m[2] ?? ''))
      throw new HangarError(
        'ValidationFailed',
        `componentSpec.command: '\${{${kind}.${m[2] ?? ''}}}' names no declared ${kind === 'inputs' ? 'input' : 'output'} (declared: ${Object.keys(c[kind]).join(', ') || 'none'}).`,
        'componentSpec.command',
      );
  }
  return c;
}

/**
 * A pipeline component (az ml's pipelineComponent.schema.json; the SDK's `components.create_or_update`
 * of a `@dsl.pipeline` function): its ports and its `jobs`, the graph a job of it runs. The steps
 * name their components as a pipeline job's steps do; they are checked when a job of it is submitted.
 */
export const pipelineComponentSchema = z
  .object({
    $schema: z.string().optional(),
    name: z.string().optional(),
    version: z.union([z.string(), z.number()]).optional(),
    display_name: z.string().optional(),
    description: z.string().optional(),
    tags: z.record(z.string(), z.unknown()).optional(),
    type: z.literal('pipeline'),
    inputs: z.record(z.string(), z.object({ type: z.string() }).passthrough()).default({}),
    outputs: z.record(z.string(), z.object({ type: z.string() }).passthrough()).default({}),
    jobs: z
      .record(z.string(), z.record(z.string(), z.unknown()))
      .refine((j) => Object.keys(j).length > 0, { message: 'a pipeline component needs at least one step' }),
  })
  .passthrough();
export type PipelineComponentSpec = z.infer<typeof pipelineComponentSchema>;

/** Checks a pipeline component spec's shape and port names; errors name the field as `componentSpec.<path>`. */
export function checkPipelineComponent(spec: Record<string, unknown>): PipelineComponentSpec {
  const parsed = pipelineComponentSchema.safeParse(spec);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = ['componentSpec', ...(issue?.path ?? []).map(String)].join('.');
    throw new HangarError('ValidationFailed', `${field}: ${issue?.message ?? 'invalid'}.`, field);
  }
  for (const kind of ['inputs', 'outputs', 'jobs'] as const)
    for (const name of Object.keys(parsed.data[kind]))
      if (!portName.test(name))
        throw new HangarError(
          'ValidationFailed',
          `componentSpec.${kind}.${name}: a ${kind === 'jobs' ? 'step' : 'port'} name uses letters, digits and '_' and does not start with a digit; got '${name}'.`,
          `componentSpec.${kind}.${name}`,
        );
  return parsed.data;
}
