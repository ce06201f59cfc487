import { randomBytes, scryptSync } from 'node:crypto';
import { isRecordOf, type ComputeRecord } from '../../domain/compute/compute-record.js';
import type { ServiceContext } from '../services/service-context.js';
import { toOpenSshPublicKey } from './ssh-keys.js';

/** Who a cluster node's SSH server lets in: the admin's key, and/or a salted scrypt of the admin password. */
export interface ClusterSshConfig {
  user: string;
  authorizedKeys: string[];
  password?: { salt: string; scrypt: string };
}

const PASSWORD_PATH = 'userAccountCredentials.adminUserPassword';

/** scrypt of each stored (encrypted) password, made once per server process: nodes never see the password. */
const hashed = new Map<string, { salt: string; scrypt: string }>();

function passwordHash(encrypted: string, plain: () => string): { salt: string; scrypt: string } {
  let h = hashed.get(encrypted);
  if (!h) {
    const salt = randomBytes(16);
    h = { salt: salt.toString('hex'), scrypt: scryptSync(plain(), salt, 32).toString('hex') };
    hashed.set(encrypted, h);
  }
  return h;
}

/**
 * A cluster created with SSH on (Azure's remoteLoginPortPublicAccess Enabled, from
 * `ssh_public_access_enabled: true`) with admin credentials runs an SSH server on each node for
 * that admin user. Undefined for every other compute.
 */
export async function clusterSshConfigFor(
  ctx: ServiceContext,
  compute: ComputeRecord,
): Promise<ClusterSshConfig | undefined> {
  if (!isRecordOf(compute, 'AmlCompute')) return undefined;
  const p = compute.spec.properties;
  const account = p.userAccountCredentials;
  if (p.remoteLoginPortPublicAccess !== 'Enabled' || !account) return undefined;
  const authorizedKeys: string[] = [];
  if (account.adminUserSshPublicKey) {
    try {
      authorizedKeys.push(toOpenSshPublicKey(account.adminUserSshPublicKey));
    } catch {
      // Validation admitted its shape; a key that still cannot be read lets nobody in, which is safe.
    }
  }
  const encrypted = (await ctx.store.secrets.list(compute.id))[PASSWORD_PATH];
  return {
    user: account.adminUserName,
    authorizedKeys,
    ...(encrypted ? { password: passwordHash(encrypted, () => ctx.secrets.decrypt(encrypted)) } : {}),
  };
}
