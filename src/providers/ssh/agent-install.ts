import { readFileSync } from 'node:fs';
import { agentBundle } from './agent-bundle.js';
import { SshError, type SshConnection } from './ssh-connection.js';

/** Where agents are installed on a machine (under the login user's home). */
export const AGENT_DIR = '.hangar-agent';

/** Installs the agent bundle over SSH unless this exact build is already there; answers its folder (relative to home). */
export async function installAgent(c: SshConnection, bundleDir: string): Promise<string> {
  const bundle = agentBundle(bundleDir);
  const dir = `${AGENT_DIR}/${bundle.id}`;
  const present = await c.exec(`cd && test -f ${dir}/.ready`);
  if (present.code === 0) return dir;
  const r = await c.exec(`cd && rm -rf ${dir}.tmp && mkdir -p ${dir}.tmp && tar -xzf - -C ${dir}.tmp && touch ${dir}.tmp/.ready && rm -rf ${dir} && mv ${dir}.tmp ${dir}`, readFileSync(bundle.file));
  if (r.code !== 0) throw new SshError('command', `installing the agent failed: ${(r.stderr || r.stdout).trim()}`);
  return dir;
}

/** The folder (relative to the login user's home) where one compute keeps its node folders; computes sharing a login stay apart. */
export function nodesFolder(scope: string): string {
  return `.hangar-nodes/${scope.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
}
