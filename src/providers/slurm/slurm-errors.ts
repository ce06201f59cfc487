import { ProviderError, type ProviderErrorKind } from '../provider-errors.js';
import type { CommandResult } from './slurm-commands.js';

/**
 * What Slurm's own words (stderr of sbatch, squeue, scancel; exit codes) mean for a retry. Checked
 * in order; anything not recognised is a refusal: the backend said no, and says why in `message`.
 */
const rules: [ProviderErrorKind, RegExp][] = [
  // The request itself is wrong or not allowed: asking again unchanged gets the same answer.
  [
    'refused',
    /invalid (partition|qos|account|job id|wckey|reservation)|QOS|AssocMax|Assoc\w*Limit|policy|Requested node configuration is not available|node count specification invalid|Access\/permission denied|More processors requested than permitted/i,
  ],
  // Slurm does not accept who is asking (munge credentials, an unknown user).
  [
    'credentials',
    /Protocol authentication error|Invalid authentication credential|authentication (failure|error)|Invalid user id|Unable to (create|encode) .*credential/i,
  ],
  // The controller (or the login node's network) does not answer: back off and ask again.
  [
    'unreachable',
    /Unable to contact slurm controller|Socket timed out|Connection (refused|timed out|reset)|Communication connection failure|Zero Bytes were transmitted or received|backup controller in standby mode|Network is unreachable|No route to host|munge.*(socket|connect)/i,
  ],
  // No room now: the controller is full or busy, the shared file system is full.
  [
    'capacity',
    /temporarily unable to accept job|Resource temporarily unavailable|MaxJobCount|No space left on device|Disk quota exceeded|Cannot allocate memory|Slurm is busy|Too many pending jobs/i,
  ],
];

/** One failed Slurm command (`command` on `where`) as a ProviderError carrying Slurm's own text. */
export function slurmFailure(command: string, r: CommandResult, where: string): ProviderError {
  const text = (r.stderr || r.stdout).trim();
  const kind = rules.find(([, pattern]) => pattern.test(text))?.[0] ?? 'refused';
  return new ProviderError(
    kind,
    `${command} on ${where} failed: ${text || `exit code ${r.code}, no output`}`,
  );
}
