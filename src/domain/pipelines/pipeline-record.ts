import type { PipelinePlan } from './pipeline-spec.js';
import type { StepPhase } from './pipeline-decision.js';
import type { StepCacheKey } from './step-cache.js';

/** What a pipeline job keeps on its JobRecord: its plan, and what the controller last saw of each step. */
export interface PipelineState {
  plan: PipelinePlan;
  /** Steps whose job could not be submitted, with why (they count as failed). */
  stepErrors?: Record<string, string>;
  /** Each step's phase as the controller last decided it (for show, and the studio's graph). */
  phases?: Record<string, { phase: StepPhase; why?: string }>;
}

/** What a step job keeps on its JobRecord: whose step it is, its reuse key, and whether it was reused. */
export interface PipelineStepState {
  pipeline: string;
  step: string;
  componentName: string;
  cacheKey: StepCacheKey;
  /** Its outputs are those of this earlier run: it ran no command. */
  reusedFrom?: string;
  /** The sentence `job show` prints: reused from X, or which part of the key differed from the closest run. */
  reuse: string;
  /** false: a step of a force_rerun pipeline, which other runs never reuse (as Azure). */
  reusable?: false;
}
