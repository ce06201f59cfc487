import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Encrypts secrets at rest with AES-256-GCM under a key kept in HANGAR_HOME/secret.key (0600).
 * Ciphertext format: base64url(iv) "." base64url(tag) "." base64url(data).
 */
export class SecretBox {
  private constructor(private readonly key: Buffer) {}

  /** Loads the key from `home`, creating it (0600) on first start. */
  static open(home: string): SecretBox {
    const path = join(home, 'secret.key');
    if (!existsSync(path))
      writeFileSync(path, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
    chmodSync(path, 0o600);
    const key = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64');
    if (key.length !== 32) throw new Error(`${path} does not hold a 32-byte key`);
    return new SecretBox(key);
  }

  encrypt(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [iv, cipher.getAuthTag(), data].map((b) => b.toString('base64url')).join('.');
  }

  /** An HMAC-SHA256 of `data` under a key derived for `purpose` (signed job and identity tokens). */
  sign(purpose: string, data: string): string {
    const key = Buffer.from(hkdfSync('sha256', this.key, Buffer.alloc(0), `hangar:${purpose}`, 32));
    return createHmac('sha256', key).update(data).digest('base64url');
  }

  decrypt(ciphertext: string): string {
    const [iv, tag, data] = ciphertext.split('.').map((p) => Buffer.from(p, 'base64url'));
    if (!iv || !tag || !data) throw new Error('malformed ciphertext');
    const decipher = createDecipheriv('aes-256-gcm', this.key, iv);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8');
  }
}
