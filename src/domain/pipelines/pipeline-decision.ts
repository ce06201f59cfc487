import { terminalStates, type JobState } from '../jobs/job-record.js';
import { descendantsOf, type PipelinePlan } from './pipeline-spec.js';

/** What the controller sees of one step job (undefined in the snapshot: not created yet). */
export interface StepObservation {
  status: JobState;
  /** Why it ended otherwise than Completed. */
  message?: string;
}

/** One pass's view of a pipeline: its plan, its step jobs as they stand, and steps that could not be created. */
export interface PipelineSnapshot {
  plan: Pick<PipelinePlan, 'steps' | 'order' | 'settings'>;
  steps: Readonly<Record<string, StepObservation | undefined>>;
  /** Steps whose job could not be submitted (a compute gone, an input unreadable), with why. */
  stepErrors: Readonly<Record<string, string>>;
  cancelRequested: boolean;
}

/** A step as the pipeline shows it: a job state, or never started (waiting, skipped or stopped). */
export type StepPhase = JobState | 'Skipped';

/** What to do now, and what the pipeline job shows. */
export interface PipelineDecision {
  /** Steps to create now (every input ready), in dependency order. */
  start: string[];
  /** Running steps to cancel (the pipeline is stopping). */
  cancel: string[];
  status: JobState;
  reason?: string;
  error?: { code: string; message: string };
  /** Every step's phase, and why when it did not or will not run. */
  phases: Record<string, { phase: StepPhase; why?: string }>;
}

const failedLike = (o: StepObservation | undefined): boolean =>
  o !== undefined && (o.status === 'Failed' || o.status === 'Canceled');

/**
 * The controller's decision over a snapshot. A step starts when every step it reads from has
 * Completed. A failed (or canceled) step stops the pipeline: running steps are canceled and none
 * starts, unless `continue_on_step_failure`, where only its descendants are skipped (they could
 * never get their inputs) and the other branches run on. The pipeline is Running while a step is
 * active or can start; then Completed when every step completed, Canceled when it was canceled,
 * else Failed naming the first failed step.
 */
export function decidePipeline(s: PipelineSnapshot): PipelineDecision {
  const { plan } = s;
  const failed = plan.order.filter((n) => failedLike(s.steps[n]) || Object.hasOwn(s.stepErrors, n));
  const skipped = new Map<string, string>();
  for (const f of failed)
    for (const d of descendantsOf(plan, f)) if (!s.steps[d] && !skipped.has(d)) skipped.set(d, f);
  const stopping = s.cancelRequested || (failed.length > 0 && !plan.settings.continueOnStepFailure);
  const active = plan.order.filter((n) => {
    const o = s.steps[n];
    return o !== undefined && !terminalStates.has(o.status);
  });
  const ready = plan.order.filter(
    (n) =>
      !s.steps[n] &&
      !Object.hasOwn(s.stepErrors, n) &&
      (plan.steps[n]?.dependsOn ?? []).every((d) => s.steps[d]?.status === 'Completed'),
  );
  const start = stopping ? [] : ready;
  const cancel = stopping ? active.filter((n) => s.steps[n]?.status !== 'CancelRequested') : [];
  const firstFailure = failed[0];
  const failureText =
    firstFailure === undefined
      ? ''
      : `step ${firstFailure} ${s.steps[firstFailure]?.status === 'Canceled' ? 'was canceled' : 'failed'}: ${s.stepErrors[firstFailure] ?? s.steps[firstFailure]?.message ?? 'no message'}`;

  const phases: PipelineDecision['phases'] = {};
  for (const n of plan.order) {
    const o = s.steps[n];
    if (o) phases[n] = { phase: o.status, ...(o.message ? { why: o.message } : {}) };
    else if (Object.hasOwn(s.stepErrors, n)) phases[n] = { phase: 'Failed', why: s.stepErrors[n] };
    else if (skipped.has(n))
      phases[n] = { phase: 'Skipped', why: `step ${skipped.get(n) ?? ''} did not complete` };
    else if (stopping)
      phases[n] = {
        phase: 'NotStarted',
        why: s.cancelRequested ? 'the pipeline was canceled' : `stopped: ${failureText}`,
      };
    else if (start.includes(n)) phases[n] = { phase: 'NotStarted', why: 'starting' };
    else {
      const waiting = (plan.steps[n]?.dependsOn ?? []).filter((d) => s.steps[d]?.status !== 'Completed');
      phases[n] = { phase: 'NotStarted', why: `waiting for ${waiting.join(', ')}` };
    }
  }

  if (active.length > 0 || start.length > 0) {
    if (stopping)
      return {
        start,
        cancel,
        status: 'CancelRequested',
        reason: s.cancelRequested
          ? 'cancel requested; stopping its steps'
          : `${failureText}; stopping the other steps`,
        phases,
      };
    const running = [...active, ...start];
    return { start, cancel, status: 'Running', reason: `steps running: ${running.join(', ')}`, phases };
  }
  if (s.cancelRequested)
    return {
      start,
      cancel,
      status: 'Canceled',
      reason: 'canceled',
      error: { code: 'JobCanceled', message: 'the pipeline was canceled' },
      phases,
    };
  if (firstFailure !== undefined) {
    const notRun = plan.order.filter((n) => !s.steps[n] && !Object.hasOwn(s.stepErrors, n));
    const message = `${failureText}${notRun.length > 0 ? `; not run: ${notRun.join(', ')}` : ''}`;
    return {
      start,
      cancel,
      status: 'Failed',
      reason: message,
      error: { code: 'JobFailed', message },
      phases,
    };
  }
  if (plan.order.every((n) => s.steps[n]?.status === 'Completed'))
    return { start, cancel, status: 'Completed', phases };
  // Unreachable for a valid plan (a step neither started, startable nor blocked); said rather than hung.
  const message = 'no step can start and none is running';
  return { start, cancel, status: 'Failed', reason: message, error: { code: 'JobFailed', message }, phases };
}
