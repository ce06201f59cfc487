import ssh2 from 'ssh2';
import { isSshPublicKey } from '../../domain/compute/compute-rules.js';
import { HangarError, notFound } from '../../domain/errors/hangar-error.js';
import { assertNotLocked } from '../../domain/workspace/workspace.js';
import type { ServiceContext } from '../services/service-context.js';

/** A fresh ed25519 key pair in OpenSSH format; the caller shows the private key once and forgets it. */
export function generateSshKeyPair(comment: string): { publicKey: string; privateKey: string } {
  const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment });
  return { publicKey: pair.public.trim(), privateKey: pair.private };
}

/** Stores (or replaces) a named public key of the workspace. */
export async function storeSshKey(ctx: ServiceContext, workspace: string, name: string, publicKey: string): Promise<{ name: string; publicKey: string; createdAt: string }> {
  const ws = await ctx.store.workspaces.get(workspace);
  if (!ws) throw notFound('Workspace', workspace);
  assertNotLocked(ws, 'write', `workspace '${workspace}'`);
  if (!isSshPublicKey(publicKey)) throw new HangarError('ValidationFailed', 'publicKey must be a single-line ssh-rsa/ssh-ed25519 key or a multi-line PEM public key.', 'publicKey');
  const key = { name, publicKey: publicKey.trim(), createdAt: ctx.clock.now().toISOString() };
  await ctx.store.workspaces.update({ ...ws, sshPublicKeys: [...(ws.sshPublicKeys ?? []).filter((k) => k.name !== name), key], modifiedAt: key.createdAt, version: ws.version + 1 });
  return key;
}
