import { HangarError } from '../../domain/errors/hangar-error.js';

/**
 * A job's id on the agent wire: `<workspace>~<name>`. `~` is URL-safe and allowed in neither
 * workspace nor job names, so the id needs no escaping and splits unambiguously.
 */
export function jobKey(workspace: string, name: string): string {
  return `${workspace}~${name}`;
}

/** Splits a job id made by jobKey. */
export function parseJobKey(id: string): { workspace: string; name: string } {
  const at = id.indexOf('~');
  if (at <= 0 || at === id.length - 1)
    throw new HangarError('NotFound', `'${id}' is not a job id (expected <workspace>~<name>).`, 'jobId');
  return { workspace: id.slice(0, at), name: id.slice(at + 1) };
}
