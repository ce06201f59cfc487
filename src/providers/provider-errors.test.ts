import { describe, expect, it } from 'vitest';
import {
  CAPACITY_RETRY_AFTER_MS,
  fromSystemError,
  isProviderError,
  ProviderError,
} from './provider-errors.js';
import { slurmFailure } from './slurm/slurm-errors.js';
import { remoteFailure } from './ssh/agent-install.js';
import { connectFailure, loginDetails, type Ssh2Failure } from './ssh/ssh-connection.js';

const failed = (stderr: string, code = 1) => ({ code, stdout: '', stderr });
const sshErr = (message: string, extra: { level?: string; code?: string } = {}): Ssh2Failure =>
  Object.assign(new Error(message), extra);
const target = { host: '10.0.0.5', port: 22, username: 'alice', privateKey: 'KEY' };
const sameKey = { mismatch: false, fingerprint: 'SHA256:abc' };

describe('ProviderError', () => {
  it('has retry rules per kind', () => {
    expect(new ProviderError('refused', 'no')).toMatchObject({
      kind: 'refused',
      retryable: false,
      retryAfterMs: undefined,
      name: 'ProviderError',
    });
    expect(new ProviderError('credentials', 'no')).toMatchObject({
      retryable: false,
      retryAfterMs: undefined,
    });
    expect(new ProviderError('unreachable', 'no')).toMatchObject({
      retryable: true,
      retryAfterMs: undefined,
    });
    expect(new ProviderError('capacity', 'no')).toMatchObject({
      retryable: true,
      retryAfterMs: CAPACITY_RETRY_AFTER_MS,
    });
    expect(new ProviderError('capacity', 'no', { retryAfterMs: 500 }).retryAfterMs).toBe(500);
    const cause = new Error('inner');
    expect(new ProviderError('refused', 'outer', { cause }).cause).toBe(cause);
    expect(isProviderError(new ProviderError('refused', 'x'))).toBe(true);
    expect(isProviderError(new Error('x'))).toBe(false);
  });

  it('maps system errors by their code', () => {
    const sys = (code: string) => Object.assign(new Error(`spawn node ${code}`), { code });
    expect(fromSystemError(sys('ENOSPC'), 'could not start').kind).toBe('capacity');
    expect(fromSystemError(sys('EAGAIN'), 'could not start').kind).toBe('capacity');
    expect(fromSystemError(sys('ENOENT'), 'could not start').kind).toBe('refused');
    expect(fromSystemError(sys('EACCES'), 'could not start').kind).toBe('refused');
    expect(fromSystemError(sys('ECONNREFUSED'), 'could not start').kind).toBe('unreachable');
    expect(fromSystemError(new Error('odd'), 'could not start')).toMatchObject({
      kind: 'refused',
      message: 'could not start: odd',
    });
    const already = new ProviderError('capacity', 'full');
    expect(fromSystemError(already, 'x')).toBe(already);
  });
});

describe('Slurm failures', () => {
  const where = 'this host';
  it.each([
    ['sbatch: error: Batch job submission failed: Invalid partition name specified', 'refused'],
    ['sbatch: error: invalid partition specified: gpu', 'refused'],
    ['sbatch: error: Batch job submission failed: Invalid qos specification', 'refused'],
    [
      "sbatch: error: QOSMaxSubmitJobPerUserLimit\nsbatch: error: Batch job submission failed: Job violates accounting/QOS policy (job submit limit, user's size and/or time limits)",
      'refused',
    ],
    [
      'sbatch: error: Batch job submission failed: Invalid account or account/partition combination specified',
      'refused',
    ],
    ['sbatch: error: Batch job submission failed: Requested node configuration is not available', 'refused'],
    ['sbatch: error: Batch job submission failed: Access/permission denied', 'refused'],
    [
      'sbatch: error: Batch job submission failed: Unable to contact slurm controller (connect failure)',
      'unreachable',
    ],
    ['squeue: error: slurm_receive_msg: Socket timed out on send/recv operation', 'unreachable'],
    ['slurm_load_jobs error: Unable to contact slurm controller (connect failure)', 'unreachable'],
    [
      'sbatch: error: Slurm temporarily unable to accept job, sleeping and retrying\nsbatch: error: Batch job submission failed: Resource temporarily unavailable',
      'capacity',
    ],
    ['mkdir: cannot create directory ‘/shared/nodes/n1’: No space left on device', 'capacity'],
    ['sbatch: error: Batch job submission failed: Protocol authentication error', 'credentials'],
    ['scancel: error: Invalid user id', 'credentials'],
    ['spawn sbatch ENOENT', 'refused'],
    ["env: 'sbatch': No such file or directory", 'refused'],
    ['something Slurm has never said before', 'refused'],
  ])('%s → %s', (stderr, kind) => {
    const e = slurmFailure('sbatch', failed(stderr), where);
    expect(e).toBeInstanceOf(ProviderError);
    expect(e.kind).toBe(kind);
    // The backend's own words, unchanged.
    expect(e.message).toBe(`sbatch on ${where} failed: ${stderr}`);
  });

  it('says so when Slurm said nothing', () => {
    expect(slurmFailure('scancel', { code: 2, stdout: '', stderr: '' }, where).message).toBe(
      'scancel on this host failed: exit code 2, no output',
    );
  });
});

describe('SSH failures', () => {
  it('an authentication failure is credentials, in the words tests and users know', () => {
    const e = connectFailure(
      sshErr('All configured authentication methods failed', { level: 'client-authentication' }),
      target,
      sameKey,
    );
    expect(e.kind).toBe('credentials');
    expect(e.message).toBe(
      "authentication failed for user 'alice' at 10.0.0.5:22 with the private key given (the server said: All configured authentication methods failed).",
    );
    // The same words without a level (another ssh2 path) still mean credentials.
    expect(connectFailure(sshErr('All configured authentication methods failed'), target, sameKey).kind).toBe(
      'credentials',
    );
  });

  it('a changed host key is credentials, naming both fingerprints', () => {
    const e = connectFailure(
      sshErr('Handshake failed: signature verification failed'),
      { ...target, pinnedHostKey: 'SHA256:old' },
      { mismatch: true, fingerprint: 'SHA256:new' },
    );
    expect(e.kind).toBe('credentials');
    expect(e.message).toContain('the host key of 10.0.0.5:22 changed: pinned SHA256:old, offered SHA256:new');
  });

  it('a socket that cannot connect is unreachable', () => {
    const refused = connectFailure(
      sshErr('connect ECONNREFUSED 127.0.0.1:1', { level: 'client-socket', code: 'ECONNREFUSED' }),
      { ...target, host: '127.0.0.1', port: 1 },
      sameKey,
    );
    expect(refused).toMatchObject({
      kind: 'unreachable',
      retryable: true,
      message: 'cannot reach 127.0.0.1:1: ECONNREFUSED.',
    });
    expect(
      connectFailure(
        sshErr('Timed out while waiting for handshake', { level: 'client-timeout' }),
        target,
        sameKey,
      ).kind,
    ).toBe('unreachable');
    expect(
      connectFailure(sshErr('getaddrinfo ENOTFOUND nowhere', { code: 'ENOTFOUND' }), target, sameKey).kind,
    ).toBe('unreachable');
  });

  it('a handshake the two sides cannot agree on is refused', () => {
    expect(
      connectFailure(
        sshErr('Handshake failed: no matching key exchange algorithm', { level: 'handshake' }),
        target,
        sameKey,
      ).kind,
    ).toBe('refused');
  });

  it('login details that cannot be read are credentials, in their own words', async () => {
    await expect(
      loginDetails(() => Promise.reject(new Error('compute c1 no longer exists'))),
    ).rejects.toMatchObject({ kind: 'credentials', message: 'compute c1 no longer exists' });
  });

  it('a command that failed on the machine: a full disk is capacity, the rest refused', () => {
    expect(
      remoteFailure(
        'installing the agent failed',
        failed('tar: x: Cannot write: No space left on device', 2),
      ),
    ).toMatchObject({
      kind: 'capacity',
      message: 'installing the agent failed: tar: x: Cannot write: No space left on device',
    });
    expect(remoteFailure('starting the agent failed', failed('sh: 1: setsid: not found', 127)).kind).toBe(
      'refused',
    );
    expect(remoteFailure('starting the agent failed', failed('', 3)).message).toBe(
      'starting the agent failed: exit code 3',
    );
  });
});
