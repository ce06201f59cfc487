import type { Problem } from '../errors/hangar-error.js';

/** Length limits per naming family: clusters/instances/attached vs inference clusters. */
export const nameLimits = {
  compute: { min: 3, max: 24 },
  inference: { min: 2, max: 16 },
} as const;

/** Which naming family a compute belongs to. */
export type NameFamily = keyof typeof nameLimits;

/**
 * Checks a compute name against the seed rules and returns every broken rule:
 * required; length per family; letters, digits and '-' only; starts with a letter;
 * after a hyphen a letter must follow later in the name (`gpu-1` no, `gpu-a1` yes).
 */
export function computeNameProblems(
  name: unknown,
  family: NameFamily = 'compute',
  target = 'name',
): Problem[] {
  const shown = JSON.stringify(name);
  const problem = (rule: string): Problem => ({
    code: 'InvalidName',
    target,
    message: `${target} ${rule}; got ${shown}`,
  });
  if (typeof name !== 'string' || name.length === 0) return [problem('is required')];
  const { min, max } = nameLimits[family];
  const problems: Problem[] = [];
  if (name.length < min || name.length > max) {
    problems.push(problem(`must be ${min}–${max} characters long (it has ${name.length})`));
  }
  if (!/^[A-Za-z0-9-]*$/.test(name)) problems.push(problem('may contain only letters, digits and hyphens'));
  if (!/^[A-Za-z]/.test(name)) problems.push(problem('must start with a letter'));
  const lastHyphen = name.lastIndexOf('-');
  if (lastHyphen >= 0 && !/[A-Za-z]/.test(name.slice(lastHyphen + 1))) {
    problems.push(
      problem(
        'must have a letter after each hyphen (the part after a hyphen may not be digits only or empty)',
      ),
    );
  }
  // `compute: local` in a job means the submitter's own machine (as in Azure ML), never a compute.
  if (name.toLowerCase() === 'local')
    problems.push(problem("is reserved: 'local' names the local target of jobs"));
  return problems;
}
