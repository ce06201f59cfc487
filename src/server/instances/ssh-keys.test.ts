import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isSshPublicKey } from '../../domain/compute/compute-rules.js';
import { generateSshKeyPair, toOpenSshPublicKey } from './ssh-keys.js';

const dir = mkdtempSync(join(tmpdir(), 'hangar-keys-'));
const keygen = (...args: string[]): string => execFileSync('ssh-keygen', args, { encoding: 'utf8' });

describe('public key forms', () => {
  for (const type of ['rsa', 'ed25519', 'ecdsa']) {
    it(`reads a ${type} key as OpenSSH line, RFC 4716 and PEM alike`, () => {
      const file = join(dir, type);
      keygen('-q', '-t', type, '-N', '', '-f', file);
      const line = readFileSync(`${file}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
      const rfc4716 = keygen('-e', '-f', `${file}.pub`);
      expect(isSshPublicKey(rfc4716)).toBe(true);
      expect(toOpenSshPublicKey(rfc4716)).toBe(line);
      if (type !== 'ed25519') {
        // OpenSSH cannot write ed25519 as PEM; RSA and ECDSA round-trip through PKCS#8.
        const pem = keygen('-e', '-m', 'PKCS8', '-f', `${file}.pub`);
        expect(isSshPublicKey(pem.trim())).toBe(true);
        expect(toOpenSshPublicKey(pem)).toBe(line);
      }
      expect(toOpenSshPublicKey(`${line} me@host`)).toBe(`${line} me@host`);
    });
  }

  it('generates ed25519 pairs whose private keys OpenSSH accepts (every one of 300)', () => {
    for (let i = 0; i < 300; i++) {
      const p = generateSshKeyPair('t@hangar');
      const f = join(dir, `many-${i}`);
      execFileSync('bash', ['-c', `umask 077; cat > ${f}`], { input: p.privateKey });
      expect(keygen('-y', '-f', f).trim()).toBe(p.publicKey);
    }
    const pair = generateSshKeyPair('t@hangar');
    expect(pair.publicKey).toMatch(/^ssh-ed25519 \S+ t@hangar$/);
    const file = join(dir, 'generated');
    execFileSync('bash', ['-c', `umask 077; cat > ${file}`], { input: pair.privateKey });
    expect(keygen('-y', '-f', file).trim().split(' ').slice(0, 2).join(' ')).toBe(
      pair.publicKey.split(' ').slice(0, 2).join(' '),
    );
  });
});
