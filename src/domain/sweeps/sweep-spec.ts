import { z } from 'zod';
import { HangarError, throwIfProblems, type Problem } from '../errors/hangar-error.js';
import { zodProblems } from '../errors/zod-problems.js';
import type { TerminationPolicy } from './policies.js';
import { sobolMaxDimensions } from './samplers.js';
import {
  dimensions,
  parameterNames,
  parseSearchSpace,
  typesUsed,
  type ExpressionType,
  type SearchSpace,
} from './search-space.js';

/** How a sweep picks each trial's parameters. */
export type Sampling =
  { type: 'random'; seed?: number; rule: 'random' | 'sobol' } | { type: 'grid' } | { type: 'bayesian' };

/** A parsed sweep: what the controller needs, beside the trial's command job spec. */
export interface SweepConfig {
  searchSpace: SearchSpace;
  sampling: Sampling;
  objective: { primaryMetric: string; goal: 'maximize' | 'minimize' };
  limits: {
    maxTotalTrials: number;
    maxConcurrentTrials: number;
    /** The whole sweep, trials included (az ml default 60 days). */
    timeoutSeconds: number;
    trialTimeoutSeconds?: number;
  };
  policy?: TerminationPolicy;
  /**
   * Each trial's az ml command job spec, `${{search_space.x}}` still in its command and inputs
   * (filled per trial by `trialSpec`).
   */
  trial: Record<string, unknown>;
}

/** az ml's defaults (reference-yaml-job-sweep). */
export const sweepDefaults = { maxTotalTrials: 1000, timeoutSeconds: 5_184_000 } as const;

/** Seconds, as YAML writes them, or ISO-8601 durations as the REST API sends them (PT2H). */
const seconds = z.union([
  z.number().int().positive(),
  z
    .string()
    .regex(
      /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/,
      'seconds, or an ISO-8601 duration such as PT2H',
    )
    .transform((s) => {
      const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(s) ?? [];
      const [d, h, mi, se] = [m[1], m[2], m[3], m[4]].map((x) => Number(x ?? 0));
      return (d ?? 0) * 86400 + (h ?? 0) * 3600 + (mi ?? 0) * 60 + (se ?? 0);
    }),
]);

const trialSchema = z.strictObject({
  $schema: z.string().optional(),
  type: z.literal('command').optional(),
  command: z.string().min(1),
  code: z.string().min(1).optional(),
  environment: z.unknown().optional(),
  environment_variables: z.record(z.string(), z.unknown()).optional(),
  distribution: z.record(z.string(), z.unknown()).optional(),
  resources: z.record(z.string(), z.unknown()).optional(),
  inputs: z.record(z.string(), z.unknown()).optional(),
  outputs: z.record(z.string(), z.unknown()).optional(),
});

const sweepSchema = z.strictObject({
  $schema: z.string().optional(),
  type: z.literal('sweep'),
  name: z.string().optional(),
  display_name: z.string().optional(),
  experiment_name: z.string().min(1).max(255).optional(),
  description: z.string().optional(),
  tags: z.record(z.string(), z.unknown()).optional(),
  properties: z.record(z.string(), z.unknown()).optional(),
  compute: z.string().min(1),
  sampling_algorithm: z.union([
    z.enum(['random', 'grid', 'bayesian']),
    z.strictObject({
      type: z.enum(['random', 'grid', 'bayesian']),
      seed: z.number().int().optional(),
      rule: z.enum(['random', 'sobol']).optional(),
    }),
  ]),
  search_space: z.record(z.string(), z.unknown()),
  objective: z.strictObject({
    primary_metric: z.string().min(1),
    goal: z
      .string()
      .transform((g) => g.toLowerCase())
      .pipe(z.enum(['maximize', 'minimize'])),
  }),
  early_termination: z.record(z.string(), z.unknown()).nullable().optional(),
  limits: z
    .strictObject({
      max_total_trials: z.number().int().min(1).max(1000).optional(),
      max_concurrent_trials: z.number().int().min(1).max(1000).optional(),
      timeout: seconds.optional(),
      trial_timeout: seconds.optional(),
    })
    .optional(),
  trial: trialSchema,
  inputs: z.record(z.string(), z.unknown()).optional(),
  outputs: z.record(z.string(), z.unknown()).optional(),
  identity: z.record(z.string(), z.unknown()).optional(),
  queue_settings: z.record(z.string(), z.unknown()).optional(),
});

/** Distributions each sampling algorithm can draw from (reference-yaml-job-sweep). */
const allowedTypes: Record<Sampling['type'], ReadonlySet<ExpressionType> | undefined> = {
  random: undefined,
  grid: new Set(['choice']),
  bayesian: new Set(['choice', 'uniform', 'quniform']),
};

const searchRef = /\$\{\{\s*search_space\.(\w+)\s*\}\}/g;

/** Validates a `type: sweep` job, naming the YAML field of every problem. */
export function parseSweepSpec(raw: Record<string, unknown>): SweepConfig {
  const r = sweepSchema.safeParse(raw);
  if (!r.success) throwIfProblems(zodProblems(r.error, raw));
  const spec = r.data as z.infer<typeof sweepSchema>;
  const searchSpace = parseSearchSpace(spec.search_space);
  const sa = spec.sampling_algorithm;
  const sampling: Sampling =
    typeof sa === 'string'
      ? sa === 'random'
        ? { type: 'random', rule: 'random' }
        : { type: sa }
      : sa.type === 'random'
        ? { type: 'random', rule: sa.rule ?? 'random', ...(sa.seed === undefined ? {} : { seed: sa.seed }) }
        : { type: sa.type };
  if (typeof sa === 'object' && sa.type !== 'random' && (sa.seed !== undefined || sa.rule !== undefined))
    throw new HangarError(
      'ValidationFailed',
      `sampling_algorithm.${sa.seed !== undefined ? 'seed' : 'rule'}: only random sampling takes it; got type ${sa.type}`,
      `sampling_algorithm.${sa.seed !== undefined ? 'seed' : 'rule'}`,
    );
  const allowed = allowedTypes[sampling.type];
  if (allowed)
    for (const [type, path] of typesUsed(searchSpace))
      if (!allowed.has(type))
        throw new HangarError(
          'ValidationFailed',
          `search_space.${path}.type: ${sampling.type} sampling takes ${[...allowed].join(', ')} only; got ${type}`,
          `search_space.${path}.type`,
        );
  if (
    sampling.type === 'random' &&
    sampling.rule === 'sobol' &&
    dimensions(searchSpace).length > sobolMaxDimensions
  )
    throw new HangarError(
      'ValidationFailed',
      `sampling_algorithm.rule: sobol supports at most ${sobolMaxDimensions} search-space expressions here; this space has ${dimensions(searchSpace).length}`,
      'sampling_algorithm.rule',
    );
  const names = parameterNames(searchSpace);
  const problems: Problem[] = [];
  const checkRefs = (text: string, field: string): void => {
    for (const m of text.matchAll(searchRef))
      if (!names.has(m[1] ?? ''))
        problems.push({
          code: 'ValidationFailed',
          target: field,
          message: `${field}: '\${{search_space.${m[1]}}}' names no search_space parameter; defined: ${[...names].join(', ')}`,
        });
  };
  checkRefs(spec.trial.command, 'trial.command');
  for (const [k, v] of Object.entries({ ...spec.inputs, ...spec.trial.inputs }))
    if (typeof v === 'string') checkRefs(v, `inputs.${k}`);
  throwIfProblems(problems);
  const maxTotalTrials = spec.limits?.max_total_trials ?? sweepDefaults.maxTotalTrials;
  const limits: SweepConfig['limits'] = {
    maxTotalTrials,
    maxConcurrentTrials: Math.min(spec.limits?.max_concurrent_trials ?? maxTotalTrials, maxTotalTrials),
    timeoutSeconds: spec.limits?.timeout ?? sweepDefaults.timeoutSeconds,
    ...(spec.limits?.trial_timeout === undefined ? {} : { trialTimeoutSeconds: spec.limits.trial_timeout }),
  };
  const policy = spec.early_termination ? parsePolicy(spec.early_termination) : undefined;
  const trial: Record<string, unknown> = {
    type: 'command',
    command: spec.trial.command,
    compute: spec.compute,
    ...(spec.trial.code === undefined ? {} : { code: spec.trial.code }),
    ...(spec.trial.environment === undefined ? {} : { environment: spec.trial.environment }),
    ...(spec.trial.environment_variables ? { environment_variables: spec.trial.environment_variables } : {}),
    ...(spec.trial.distribution ? { distribution: spec.trial.distribution } : {}),
    ...(spec.trial.resources ? { resources: spec.trial.resources } : {}),
    ...(spec.inputs || spec.trial.inputs ? { inputs: { ...spec.trial.inputs, ...spec.inputs } } : {}),
    ...(spec.outputs || spec.trial.outputs ? { outputs: { ...spec.trial.outputs, ...spec.outputs } } : {}),
    ...(spec.experiment_name ? { experiment_name: spec.experiment_name } : {}),
    ...(spec.queue_settings ? { queue_settings: spec.queue_settings } : {}),
    ...(limits.trialTimeoutSeconds ? { limits: { timeout: limits.trialTimeoutSeconds } } : {}),
  };
  return {
    searchSpace,
    sampling,
    objective: { primaryMetric: spec.objective.primary_metric, goal: spec.objective.goal },
    limits,
    ...(policy ? { policy } : {}),
    trial,
  };
}

const policyFields: Record<TerminationPolicy['type'], readonly string[]> = {
  bandit: ['slack_factor', 'slack_amount'],
  median_stopping: [],
  truncation_selection: ['truncation_percentage', 'exclude_finished_jobs'],
};

/** `early_termination:`; evaluation_interval 0 or absent is read as 1 (a 0 interval has no meaning). */
export function parsePolicy(raw: Record<string, unknown>): TerminationPolicy {
  const field = 'early_termination';
  const type = raw.type;
  if (typeof type !== 'string' || !Object.hasOwn(policyFields, type))
    throw new HangarError(
      'ValidationFailed',
      `${field}.type: must be one of ${Object.keys(policyFields).join(', ')}; got ${JSON.stringify(type ?? null)}`,
      `${field}.type`,
    );
  const t = type as TerminationPolicy['type'];
  const known = new Set(['type', 'evaluation_interval', 'delay_evaluation', ...policyFields[t]]);
  for (const k of Object.keys(raw))
    if (!known.has(k))
      throw new HangarError(
        'ValidationFailed',
        `${field}.${k}: unknown field for a ${t} policy (its fields: ${[...known].join(', ')})`,
        `${field}.${k}`,
      );
  const int = (k: string): number => {
    const v = raw[k] ?? 0;
    if (v === null) return 0;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
      throw new HangarError(
        'ValidationFailed',
        `${field}.${k}: must be a whole number ≥ 0; got ${JSON.stringify(v)}`,
        `${field}.${k}`,
      );
    return v;
  };
  const schedule = {
    evaluation_interval: Math.max(1, int('evaluation_interval')),
    delay_evaluation: int('delay_evaluation'),
  };
  if (t === 'median_stopping') return { type: t, ...schedule };
  if (t === 'truncation_selection') {
    const p = raw.truncation_percentage;
    if (typeof p !== 'number' || !Number.isInteger(p) || p < 1 || p > 99)
      throw new HangarError(
        'ValidationFailed',
        `${field}.truncation_percentage: required, a whole number from 1 to 99; got ${JSON.stringify(p ?? null)}`,
        `${field}.truncation_percentage`,
      );
    return { type: t, truncation_percentage: p, ...schedule };
  }
  const factor = raw.slack_factor ?? undefined;
  const amount = raw.slack_amount ?? undefined;
  if ((factor === undefined) === (amount === undefined))
    throw new HangarError(
      'ValidationFailed',
      `${field}.slack_factor: a bandit policy takes exactly one of slack_factor (a ratio) or slack_amount (a distance); got ${factor === undefined ? 'neither' : 'both'}`,
      `${field}.slack_factor`,
    );
  const [key, value] = factor === undefined ? ['slack_amount', amount] : ['slack_factor', factor];
  if (typeof value !== 'number' || !(value > 0))
    throw new HangarError(
      'ValidationFailed',
      `${field}.${key}: must be a number > 0; got ${JSON.stringify(value)}`,
      `${field}.${key}`,
    );
  return key === 'slack_factor'
    ? { type: t, slack_factor: value, ...schedule }
    : { type: t, slack_amount: value, ...schedule };
}

/** A trial's command job spec: `${{search_space.x}}` replaced by its parameters, in the command and literal inputs. */
export function trialSpec(
  template: Record<string, unknown>,
  params: Record<string, string | number | boolean>,
  name: string,
): Record<string, unknown> {
  // A nested choice's parameter that this trial's branch lacks renders as empty (see docs/sweeps.md).
  const fill = (text: string): string => text.replace(searchRef, (_m, k: string) => String(params[k] ?? ''));
  const inputs = template.inputs as Record<string, unknown> | undefined;
  return {
    ...template,
    name,
    command: fill(String(template.command)),
    ...(inputs
      ? {
          inputs: Object.fromEntries(
            Object.entries(inputs).map(([k, v]) => {
              if (typeof v !== 'string') return [k, v];
              const whole = /^\s*\$\{\{\s*search_space\.(\w+)\s*\}\}\s*$/.exec(v);
              // A whole-value reference keeps the parameter's type (number stays a number).
              return [k, whole ? (params[whole[1] ?? ''] ?? '') : fill(v)];
            }),
          ),
        }
      : {}),
  };
}
