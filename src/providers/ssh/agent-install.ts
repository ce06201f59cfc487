import { readFileSync } from 'node:fs';
import { ProviderError } from '../provider-errors.js';
import { agentBundle } from './agent-bundle.js';
import type { SshConnection } from './ssh-connection.js';

/** Where agents are installed on a machine (under the login user's home). */
export const AGENT_DIR = '.hangar-agent';

/** Installs the agent bundle over SSH unless this exact build is already there; answers its folder (relative to home). */
export async function installAgent(c: SshConnection, bundleDir: string): Promise<string> {
  const bundle = agentBundle(bundleDir);
  const dir = `${AGENT_DIR}/${bundle.id}`;
  const present = await c.exec(['sh', '-c', 'cd && test -f "$1/.ready"', 'sh', dir]);
  if (present.code === 0) return dir;
  const r = await c.exec(['sh', '-c', INSTALL, 'sh', dir], readFileSync(bundle.file));
  if (r.code !== 0) throw remoteFailure('installing the agent failed', r);
  return dir;
}

/** Unpacks the bundle on stdin into "$1" (relative to home), atomically: a half-unpacked folder is never `.ready`. */
const INSTALL =
  'cd && rm -rf "$1.tmp" && mkdir -p "$1.tmp" && tar -xzf - -C "$1.tmp" && touch "$1.tmp/.ready" && rm -rf "$1" && mv "$1.tmp" "$1"';

/**
 * A command on the machine that failed, in its own words: a full disk or quota is `capacity`, a
 * command the login shell cannot find or a permission it lacks (and anything else) is `refused`.
 */
export function remoteFailure(
  what: string,
  r: { code: number; stdout: string; stderr: string },
): ProviderError {
  const text = (r.stderr || r.stdout).trim() || `exit code ${r.code}`;
  const kind =
    /No space left on device|Disk quota exceeded|Cannot allocate memory|Resource temporarily unavailable/i.test(
      text,
    )
      ? 'capacity'
      : 'refused';
  return new ProviderError(kind, `${what}: ${text}`);
}

/** The folder (relative to the login user's home) where one compute keeps its node folders; computes sharing a login stay apart. */
export function nodesFolder(scope: string): string {
  return `.hangar-nodes/${scope.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
}
