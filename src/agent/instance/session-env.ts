/** The environment of an SSH/terminal session: the instance's home folder and user, the node's PATH. */
export function sessionEnv(
  base: Record<string, string | undefined>,
  home: string,
  user: string,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of ['PATH', 'LANG', 'LC_ALL', 'TZ']) {
    const v = base[key];
    if (v !== undefined) env[key] = v;
  }
  return { ...env, HOME: home, USER: user, LOGNAME: user, SHELL: '/bin/bash', HANGAR_INSTANCE: '1' };
}
