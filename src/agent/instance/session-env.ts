import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chownTree, lookupUser } from '../sandbox.js';

/** The environment of an SSH/terminal session: the instance's home folder and user, the node's PATH. */
export function sessionEnv(
  base: Record<string, string | undefined>,
  home: string,
  user: string,
  instanceName?: string,
  /** The server's variables for the session (the Azure ML SDK's), under the fixed ones. */
  extra: Record<string, string> = {},
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of ['PATH', 'LANG', 'LC_ALL', 'TZ']) {
    const v = base[key];
    if (v !== undefined) env[key] = v;
  }
  return {
    ...env,
    ...extra,
    HOME: home,
    USER: user,
    LOGNAME: user,
    SHELL: '/bin/bash',
    HANGAR_INSTANCE: '1',
    ...(instanceName ? { HANGAR_INSTANCE_NAME: instanceName } : {}),
  };
}

/** The instance's name, the last segment of its apps prefix (/apps/{workspace}/{name}/). */
export function instanceNameOf(appsPrefix: string): string | undefined {
  return appsPrefix.split('/').filter((s) => s !== '')[2];
}

/** The OS account sessions run as; undefined: the agent's own (an agent that is not root, or no such user). */
export interface SessionUser {
  name: string;
  uid: number;
  gid: number;
}

/**
 * A root agent runs sessions as the instance's user when the node has that account (as Azure's
 * azureuser), never as root; otherwise sessions keep the agent's user with the instance user's
 * name in USER, LOGNAME and the prompt.
 */
export function resolveSessionUser(
  name: string,
  agentUid = process.getuid?.() ?? -1,
): SessionUser | undefined {
  if (agentUid !== 0) return undefined;
  const found = lookupUser(name);
  return found && found.uid !== 0 ? { name, uid: found.uid, gid: found.gid } : undefined;
}

/** A command as the session user: setpriv drops to the account, with its groups. */
export function asSessionUser(argv: string[], user: SessionUser | undefined): string[] {
  return user
    ? ['setpriv', `--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--', ...argv]
    : argv;
}

const PROFILE = `# ~/.profile made by Hangar (as /etc/skel's): login shells read ~/.bashrc too.
if [ -n "$BASH_VERSION" ] && [ -f "$HOME/.bashrc" ]; then . "$HOME/.bashrc"; fi
`;

const BASHRC = `# ~/.bashrc made by Hangar: the prompt names the instance's user and the instance.
case $- in *i*) ;; *) return ;; esac
HISTCONTROL=ignoreboth
shopt -s checkwinsize histappend
PS1='\\[\\e[32m\\]\${USER}@\${HANGAR_INSTANCE_NAME:-\\h}\\[\\e[0m\\]:\\[\\e[36m\\]\\w\\[\\e[0m\\]\\$ '
`;

/**
 * Gives a new home folder the start-up files a fresh VM's home has (never overwriting the user's
 * own), and hands the home to the session user when sessions run as one.
 */
export function prepareHome(home: string, user: SessionUser | undefined): void {
  for (const [file, text] of [
    ['.profile', PROFILE],
    ['.bashrc', BASHRC],
  ] as const)
    if (!existsSync(join(home, file))) writeFileSync(join(home, file), text);
  if (user && statSync(home).uid !== user.uid) chownTree(home, user.uid, user.gid);
}
