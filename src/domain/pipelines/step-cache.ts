import type { StepPlan } from './pipeline-spec.js';

/**
 * A step's reuse key, part by part (so the part that differs can be named). Two runs of a step
 * are interchangeable when every part is equal: the same component definition, the same code,
 * environment, inputs (by content identity) and run settings. The compute is not part of it:
 * the same work on another cluster gives the same outputs.
 */
export interface StepCacheKey {
  /** Digest of the command and the declared inputs/outputs (the component definition, less code and environment). */
  component: string;
  /** The code's snapshot id (content-addressed), or 'none'. */
  code: string;
  /** Digest of the environment as named or defined. */
  environment: string;
  /** Each input's identity: `literal:<json>`, `data:<reference>`, `output:<snapshot id>/<output>`. */
  inputs: Record<string, string>;
  /** Digest of the run settings: environment variables, resources, distribution, limits, output types and modes (and a sweep step's sweep settings). */
  settings: string;
}

/** JSON with object keys sorted, so equal values give equal text. */
export function stableJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
}

/** A short digest (FNV-1a, 64 bits, hex): enough to tell keys apart, and browser-safe. */
export function digest(text: string): string {
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) {
    h ^= BigInt(text.charCodeAt(i));
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, '0');
}

/** The snapshot id in a snapshot URI (`…/paths/snapshots/<id>/…`), or the text itself. */
function contentOf(uri: string | undefined): string {
  if (!uri) return 'none';
  return /snapshots\/([0-9a-f]{64})/.exec(uri)?.[1] ?? uri;
}

/**
 * The key of a step whose inputs are resolved: `inputs` gives each input's identity (the caller
 * knows the producing steps' output snapshots).
 */
export function stepCacheKey(step: StepPlan, inputs: Record<string, string>): StepCacheKey {
  const declared = Object.fromEntries(
    Object.entries(step.inputs).map(([k, i]) => [k, i.kind === 'literal' ? 'literal' : i.type]),
  );
  return {
    component: digest(
      stableJson({ command: step.command, inputs: declared, outputs: Object.keys(step.outputs).sort() }),
    ),
    code: contentOf(step.code),
    environment: digest(stableJson(step.environment ?? 'default')),
    inputs,
    settings: digest(
      stableJson({
        environmentVariables: step.environmentVariables,
        resources: step.resources,
        distribution: step.distribution,
        limits: step.limits,
        outputs: step.outputs,
        // Absent for command steps, so their keys are unchanged.
        sweep: step.sweep,
      }),
    ),
  };
}

/** The identity of a resolved input, for the key. */
export function inputIdentity(input: StepPlan['inputs'][string], producerOutputs?: string): string {
  if (input.kind === 'literal') return `literal:${JSON.stringify(input.value)}`;
  if (input.kind === 'data')
    return `data:${contentOf(input.path) === input.path ? input.path : contentOf(input.path)}`;
  return `output:${producerOutputs ?? 'none'}/${input.output}`;
}

/** Names of the parts of `a` that differ from `b` (`inputs.<name>` per input). */
export function differingParts(a: StepCacheKey, b: StepCacheKey): string[] {
  const out: string[] = [];
  for (const part of ['component', 'code', 'environment'] as const) if (a[part] !== b[part]) out.push(part);
  const names = [...new Set([...Object.keys(a.inputs), ...Object.keys(b.inputs)])].sort();
  for (const n of names) if (a.inputs[n] !== b.inputs[n]) out.push(`inputs.${n}`);
  if (a.settings !== b.settings) out.push('settings');
  return out;
}

/** An earlier completed step run that might be reused. */
export interface ReuseCandidate {
  jobName: string;
  key: StepCacheKey;
  /** When it ended (ISO); the newest of equally close candidates is named. */
  endTime: string;
  /** The step and component it ran, to find "the closest earlier run" of the same step. */
  step: string;
  componentName: string;
  /** Its own outputs came from another run (the original is reused, never a copy). */
  reusedFrom?: string;
}

/** Whether a step reuses an earlier run's outputs, and the sentence `job show` prints. */
export type ReuseDecision =
  | { reuse: true; from: string; note: string }
  | { reuse: false; note: string; closest?: string; differs?: string[] };

function short(part: string, key: StepCacheKey): string {
  if (part === 'code') return key.code === 'none' ? 'none' : key.code.slice(0, 12);
  if (part.startsWith('inputs.')) {
    const v = key.inputs[part.slice(7)];
    if (v === undefined) return 'absent';
    const m = /^(\w+):(.*)$/.exec(v);
    const body = m?.[2] ?? v;
    return `${m?.[1] ?? ''} ${/^[0-9a-f]{64}/.test(body) ? `${body.slice(0, 12)}…${body.slice(64)}` : body}`.trim();
  }
  return (key as unknown as Record<string, string>)[part] ?? '';
}

/**
 * Reuse when an earlier completed run has an equal key (the newest such; a run that itself reused
 * is followed to its original). Otherwise the note names, against the closest earlier run of the
 * same step or component (fewest differing parts, then newest), which parts differ and how.
 */
export function decideReuse(
  key: StepCacheKey,
  step: string,
  componentName: string,
  candidates: readonly ReuseCandidate[],
  options: { forceRerun: boolean; deterministic: boolean },
): ReuseDecision {
  if (options.forceRerun) return { reuse: false, note: 'not reused: settings.force_rerun is true' };
  if (!options.deterministic)
    return { reuse: false, note: 'not reused: the component is not deterministic (is_deterministic: false)' };
  const newestFirst = [...candidates].sort((a, b) =>
    a.endTime < b.endTime ? 1 : a.endTime > b.endTime ? -1 : 0,
  );
  const same = newestFirst.find((c) => differingParts(key, c.key).length === 0);
  if (same) {
    const from = same.reusedFrom ?? same.jobName;
    return { reuse: true, from, note: `reused from ${from}: every part of its key matched` };
  }
  const related = newestFirst.filter((c) => c.step === step || c.componentName === componentName);
  let best: ReuseCandidate | undefined;
  let bestDiff: string[] = [];
  for (const c of related) {
    const d = differingParts(key, c.key);
    if (!best || d.length < bestDiff.length) {
      best = c;
      bestDiff = d;
    }
  }
  if (!best) return { reuse: false, note: 'not reused: no earlier completed run of this step or component' };
  const details = bestDiff.map((p) => `${p} (${short(p, best.key)} → ${short(p, key)})`);
  return {
    reuse: false,
    closest: best.jobName,
    differs: bestDiff,
    note: `not reused: against the closest earlier run ${best.jobName}, ${details.join(', ')} differ${bestDiff.length === 1 ? 's' : ''}`,
  };
}
