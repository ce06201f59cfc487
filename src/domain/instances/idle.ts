import type { InstanceReport } from './instance.js';

/** What keeps an instance from being idle, in plain words ("1 Jupyter kernel", "SSH/VS Code connection from 10.0.0.5"). */
export function busyReasons(report: InstanceReport | undefined, runningJobs: number): string[] {
  const reasons: string[] = [];
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (runningJobs > 0) reasons.push(plural(runningJobs, 'running job'));
  if (!report) return reasons;
  if (report.jupyterKernels > 0) reasons.push(plural(report.jupyterKernels, 'Jupyter kernel'));
  if (report.terminals > 0) reasons.push(plural(report.terminals, 'terminal session'));
  for (const s of report.ssh?.sessions ?? []) reasons.push(`SSH/VS Code connection from ${s.from}`);
  // A running custom application means the instance is never idle (seed rule).
  for (const app of report.apps.filter((a) => a.kind === 'custom' && a.running))
    reasons.push(`custom application '${app.name}' running`);
  return reasons;
}

/** Inputs of the idle decision for one running instance. */
export interface IdleInput {
  busy: string[];
  /** When the instance was last seen becoming idle (undefined: busy until now). */
  idleSince?: string;
  /** The idle clock restarts from here (a shorter setting arrived). */
  resetAt?: string;
  /** idleTimeBeforeShutdown in seconds (undefined: never shut down when idle). */
  limitSeconds?: number;
}

/** Outcome: the new idle-since, the plain-words activity line, and a stop when the limit is reached. */
export interface IdleOutcome {
  idleSince?: string;
  activity: string;
  stopReason?: string;
  /** When the instance will be due to stop if it stays idle. */
  dueAt?: Date;
}

const hhmm = (iso: string): string => `${iso.slice(11, 16)} UTC`;

/** Decides whether an instance is idle, since when, and whether idle shutdown is due. */
export function decideIdle(input: IdleInput, now: Date): IdleOutcome {
  if (input.busy.length > 0) return { activity: `busy: ${input.busy.join(', ')}` };
  const idleSince = input.idleSince ?? now.toISOString();
  const counted = input.resetAt && input.resetAt > idleSince ? input.resetAt : idleSince;
  const activity = `idle since ${hhmm(idleSince)}${counted !== idleSince ? ` (idle clock restarted at ${hhmm(counted)})` : ''}`;
  if (input.limitSeconds === undefined) return { idleSince, activity };
  const dueAt = new Date(new Date(counted).getTime() + input.limitSeconds * 1000);
  if (now < dueAt) return { idleSince, activity, dueAt };
  const minutes = Math.round((now.getTime() - new Date(counted).getTime()) / 60000);
  return {
    idleSince,
    activity,
    dueAt,
    stopReason: `idle shutdown: idle for ${minutes} min since ${counted} (idleTimeBeforeShutdown ${Math.round(input.limitSeconds / 60)} min); nothing was active`,
  };
}

/**
 * Seed rule: when the idle setting changes to a value shorter than the time already idle, the idle
 * clock restarts from zero (so the instance does not stop the moment the setting is saved).
 * Answers the new reset time, or undefined when the clock keeps running.
 */
export function idleClockReset(
  newLimitSeconds: number | undefined,
  idleSince: string | undefined,
  resetAt: string | undefined,
  now: Date,
): string | undefined {
  if (newLimitSeconds === undefined || idleSince === undefined) return undefined;
  const counted = resetAt && resetAt > idleSince ? resetAt : idleSince;
  const idleForS = (now.getTime() - new Date(counted).getTime()) / 1000;
  return newLimitSeconds < idleForS ? now.toISOString() : undefined;
}

/** Utilisation that counts as activity (dstack's utilisation policy); absent thresholds: none does. */
export interface UtilisationPolicy {
  cpuPercent?: number;
  gpuPercent?: number;
}

/**
 * Busy reasons from a node's recent system metrics (CpuUtilizationPercentage, GpuUtilization/<index>):
 * the mean over the window at or above a threshold keeps the instance busy, saying which signal did.
 */
export function utilisationReasons(
  recent: readonly { key: string; value: number }[],
  policy: UtilisationPolicy,
): string[] {
  const means = new Map<string, { sum: number; n: number }>();
  for (const p of recent) {
    const m = means.get(p.key) ?? { sum: 0, n: 0 };
    m.sum += p.value;
    m.n += 1;
    means.set(p.key, m);
  }
  const reasons: string[] = [];
  const mean = (key: string): number | undefined => {
    const m = means.get(key);
    return m ? m.sum / m.n : undefined;
  };
  const cpu = mean('CpuUtilizationPercentage');
  if (policy.cpuPercent !== undefined && cpu !== undefined && cpu >= policy.cpuPercent)
    reasons.push(`CPU at ${Math.round(cpu)}% (activity threshold ${policy.cpuPercent}%)`);
  if (policy.gpuPercent !== undefined)
    for (const key of [...means.keys()].filter((k) => k.startsWith('GpuUtilization/')).sort()) {
      const gpu = mean(key) ?? 0;
      if (gpu >= policy.gpuPercent)
        reasons.push(
          `GPU ${key.slice('GpuUtilization/'.length)} at ${Math.round(gpu)}% (activity threshold ${policy.gpuPercent}%)`,
        );
    }
  return reasons;
}
