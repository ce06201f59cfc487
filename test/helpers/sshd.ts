import { execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exited, spawnMarked, tempDir, waitFor } from './processes.js';

/** An OpenSSH sshd on a loopback port with its own host key and config, for one test file. */
export interface TestSshd {
  port: number;
  dir: string;
  /** Authorized public keys of a user, in the sshd's own keys folder. */
  authorize(user: string, publicKey: string): void;
  /** Restarts with a fresh host key (a reinstalled machine, or an impostor). */
  rotateHostKey(): Promise<void>;
  stop(): Promise<void>;
}

/** A local user for SSH tests, with a fresh random password each run (needs root). Each test file uses its own user, so files running side by side never reset each other's password or processes. */
export function ensureTestUser(name: string): string {
  try {
    execFileSync('id', [name], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['-m', '-s', '/bin/bash', name]);
  }
  const password = `pw-${Math.random().toString(36).slice(2)}-${Date.now()}`;
  execFileSync('chpasswd', [], { input: `${name}:${password}\n` });
  return password;
}

async function start(dir: string, port: number, listen: string, netns?: string): Promise<ChildProcess> {
  const sshd = [
    '/usr/sbin/sshd',
    '-D',
    '-f',
    join(dir, 'sshd_config'),
    '-p',
    String(port),
    '-E',
    join(dir, 'sshd.log'),
  ];
  // In a network namespace, sshd listens on that namespace's own address (nsenter, not `ip netns exec`).
  const [cmd = '', ...args] = netns ? ['nsenter', `--net=/run/netns/${netns}`, ...sshd] : sshd;
  const child = spawnMarked(cmd, args, { stdio: 'ignore' });
  await waitFor(
    async () => {
      try {
        execFileSync('bash', ['-c', `exec 3<>/dev/tcp/${listen}/${port}`], { stdio: 'ignore' });
        return true;
      } catch {
        return child.exitCode === null
          ? undefined
          : Promise.reject(new Error(`sshd exited; see ${join(dir, 'sshd.log')}`));
      }
    },
    'sshd to listen',
    10_000,
    50,
  );
  return child;
}

/** Starts sshd: password and key logins, keys from `dir/keys/<user>`, no PAM; on loopback, or on an address inside a network namespace. */
export async function startSshd(
  opts: { listen?: string; netns?: string; port?: number } = {},
): Promise<TestSshd> {
  const listen = opts.listen ?? '127.0.0.1';
  const dir = tempDir('hangar-sshd-');
  mkdirSync(join(dir, 'keys'));
  // sshd reads authorized keys as the logging-in user: the folders must be readable to them.
  chmodSync(dir, 0o755);
  chmodSync(join(dir, 'keys'), 0o755);
  if (!existsSync('/run/sshd')) mkdirSync('/run/sshd', { recursive: true });
  const port = opts.port ?? 20000 + Math.floor(Math.random() * 20000);
  const keygen = (): void =>
    void execFileSync('bash', [
      '-c',
      `rm -f ${dir}/host_key ${dir}/host_key.pub && ssh-keygen -q -t ed25519 -N '' -f ${dir}/host_key`,
    ]);
  keygen();
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      `HostKey ${dir}/host_key`,
      `ListenAddress ${listen}`,
      `PidFile ${dir}/sshd.pid`,
      'UsePAM no',
      'PasswordAuthentication yes',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      `AuthorizedKeysFile ${dir}/keys/%u`,
      'StrictModes no',
      'PermitRootLogin no',
      'KexAlgorithms curve25519-sha256',
      'LogLevel VERBOSE',
      '',
    ].join('\n'),
  );
  let child = await start(dir, port, listen, opts.netns);
  return {
    port,
    dir,
    authorize: (user, publicKey) =>
      writeFileSync(join(dir, 'keys', user), `${publicKey.trim()}\n`, { mode: 0o644 }),
    async rotateHostKey() {
      child.kill('SIGTERM');
      await exited(child);
      keygen();
      child = await start(dir, port, listen, opts.netns);
    },
    async stop() {
      child.kill('SIGTERM');
      await exited(child);
    },
  };
}
