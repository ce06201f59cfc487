import type { JobRecord } from './job-record.js';

/**
 * What `az ml job update` may change on a submitted job: its display name, description, tags and
 * properties (a JSON merge patch: a null tag or property removes it); and whether it is archived.
 * Everything else is fixed once the job is submitted.
 */
export interface JobUpdate {
  displayName?: string;
  description?: string | null;
  tags?: Record<string, string | null>;
  properties?: Record<string, string | null>;
  isArchived?: boolean;
}

function merged(
  current: unknown,
  patch: Record<string, string | null> | undefined,
): Record<string, string> | undefined {
  if (!patch) return undefined;
  const out: Record<string, string> = { ...((current ?? {}) as Record<string, string>) };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out;
}

/** Applies an update to a job; answers undefined when nothing changes (so nothing is written). */
export function applyJobUpdate(job: JobRecord, update: JobUpdate, now: Date): JobRecord | undefined {
  const spec: Record<string, unknown> = { ...job.spec };
  const next: JobRecord = { ...job, spec };
  if (update.displayName !== undefined) {
    next.displayName = update.displayName;
    spec.display_name = update.displayName;
  }
  if (update.description === null) delete spec.description;
  else if (update.description !== undefined) spec.description = update.description;
  const tags = merged(job.spec.tags, update.tags);
  if (tags) spec.tags = tags;
  const properties = merged(job.spec.properties, update.properties);
  if (properties) spec.properties = properties;
  if (update.isArchived === true) next.archived = true;
  else if (update.isArchived === false) delete next.archived;
  const same =
    JSON.stringify(spec) === JSON.stringify(job.spec) &&
    next.displayName === job.displayName &&
    next.archived === job.archived;
  return same ? undefined : { ...next, modifiedAt: now.toISOString() };
}
