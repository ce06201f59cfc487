import { createPublicKey } from 'node:crypto';
import { generateEd25519 } from '../../domain/instances/openssh-keys.js';
import { isSshPublicKey } from '../../domain/compute/compute-rules.js';
import { HangarError, notFound } from '../../domain/errors/hangar-error.js';
import { storedKeyChangeDenial, type Caller } from '../../domain/instances/instance-access.js';
import { assertNotLocked } from '../../domain/workspace/workspace.js';
import type { ServiceContext } from '../services/service-context.js';

/** A fresh ed25519 key pair in OpenSSH format; the caller shows the private key once and forgets it. */
export function generateSshKeyPair(comment: string): { publicKey: string; privateKey: string } {
  return generateEd25519(comment);
}

/** Stores (or replaces) a named public key of the workspace; a name someone else's instance uses is theirs. */
export async function storeSshKey(
  ctx: ServiceContext,
  workspace: string,
  name: string,
  publicKey: string,
  caller: Caller,
): Promise<{ name: string; publicKey: string; createdAt: string }> {
  const ws = await ctx.store.workspaces.get(workspace);
  if (!ws) throw notFound('Workspace', workspace);
  assertNotLocked(ws, 'write', `workspace '${workspace}'`);
  const denial = storedKeyChangeDenial(
    name,
    await ctx.store.computes.all({ workspace, computeType: 'ComputeInstance' }),
    caller,
  );
  if (denial) throw new HangarError('AuthorizationFailed', denial, 'name');
  if (!isSshPublicKey(publicKey))
    throw new HangarError(
      'ValidationFailed',
      'publicKey must be a single-line ssh-rsa/ssh-ed25519 key or a multi-line PEM public key.',
      'publicKey',
    );
  const key = { name, publicKey: toOpenSshPublicKey(publicKey), createdAt: ctx.clock.now().toISOString() };
  await ctx.store.workspaces.update({
    ...ws,
    sshPublicKeys: [...(ws.sshPublicKeys ?? []).filter((k) => k.name !== name), key],
    modifiedAt: key.createdAt,
  });
  return key;
}

function sshString(data: Buffer | string): Buffer {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(bytes.length);
  return Buffer.concat([len, bytes]);
}

function mpint(base64url: string): Buffer {
  let bytes = Buffer.from(base64url, 'base64url');
  while (bytes.length > 1 && bytes[0] === 0) bytes = bytes.subarray(1);
  // A leading 1 bit would read as negative: SSH mpints get a zero byte in front.
  return sshString((bytes[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
}

/**
 * Any accepted public-key form as one OpenSSH line (what the node's SSH server reads): OpenSSH
 * lines pass through; RFC 4716 (`---- BEGIN SSH2 PUBLIC KEY ----`) and PEM (PKCS#8 / PKCS#1) keys
 * are converted. Throws for anything else.
 */
export function toOpenSshPublicKey(text: string): string {
  const t = text.trim();
  if (/^(ssh-|ecdsa-|sk-)/.test(t)) return t;
  if (t.startsWith('---- BEGIN SSH2 PUBLIC KEY ----')) {
    const lines = t.split(/\r?\n/).slice(1, -1);
    const body: string[] = [];
    let continued = false;
    for (const line of lines) {
      // Header lines ("Comment: …") may continue onto the next line with a trailing backslash.
      if (continued || /^[A-Za-z-]+:/.test(line)) continued = line.endsWith('\\');
      else body.push(line.trim());
    }
    const blob = Buffer.from(body.join(''), 'base64');
    const type = blob.subarray(4, 4 + blob.readUInt32BE(0)).toString();
    return `${type} ${blob.toString('base64')}`;
  }
  const jwk = createPublicKey(t).export({ format: 'jwk' });
  if (jwk.kty === 'RSA' && jwk.e && jwk.n)
    return `ssh-rsa ${Buffer.concat([sshString('ssh-rsa'), mpint(jwk.e), mpint(jwk.n)]).toString('base64')}`;
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519' && jwk.x)
    return `ssh-ed25519 ${Buffer.concat([sshString('ssh-ed25519'), sshString(Buffer.from(jwk.x, 'base64url'))]).toString('base64')}`;
  if (jwk.kty === 'EC' && jwk.x && jwk.y && jwk.crv) {
    const curve = (
      { 'P-256': 'nistp256', 'P-384': 'nistp384', 'P-521': 'nistp521' } as Record<string, string>
    )[jwk.crv];
    if (!curve) throw new Error(`unsupported curve ${jwk.crv}`);
    const point = Buffer.concat([
      Buffer.from([4]),
      Buffer.from(jwk.x, 'base64url'),
      Buffer.from(jwk.y, 'base64url'),
    ]);
    return `ecdsa-sha2-${curve} ${Buffer.concat([sshString(`ecdsa-sha2-${curve}`), sshString(curve), sshString(point)]).toString('base64')}`;
  }
  throw new Error(`unsupported public key type ${String(jwk.kty)}`);
}
