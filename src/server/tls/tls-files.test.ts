import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureTlsFiles } from './tls-files.js';

const home = (): string => mkdtempSync(join(tmpdir(), 'hangar-tls-'));

describe('the server certificate', () => {
  it('is made once under HOME/tls, signed by Hangar’s CA, for loopback and this host; keys 0600', () => {
    const h = home();
    const files = ensureTlsFiles(h, '127.0.0.1', {});
    for (const key of ['ca.key', 'server.key'])
      expect(statSync(join(h, 'tls', key)).mode & 0o777).toBe(0o600);
    const text = execFileSync('openssl', [
      'x509',
      '-noout',
      '-text',
      '-in',
      join(h, 'tls', 'server.crt'),
    ]).toString();
    expect(text).toContain('DNS:localhost');
    expect(text).toContain('IP Address:127.0.0.1');
    execFileSync('openssl', ['verify', '-CAfile', join(h, 'tls', 'ca.crt'), join(h, 'tls', 'server.crt')]);
    // The bundle holds the system's CAs and Hangar's.
    const bundle = readFileSync(files.bundlePath, 'utf8');
    expect(bundle).toContain(files.caPem.trim());
    expect(bundle.match(/BEGIN CERTIFICATE/g)?.length ?? 0).toBeGreaterThan(1);
    // A restart keeps the CA clients already trust.
    expect(ensureTlsFiles(h, '127.0.0.1', {}).caPem).toBe(files.caPem);
  });

  it("uses the operator's certificate and key, and refuses one without the other naming the missing field", () => {
    const own = ensureTlsFiles(home(), '127.0.0.1', {});
    const h = home();
    const cert = join(h, 'c.pem');
    const key = join(h, 'k.pem');
    execFileSync('sh', ['-c', `printf '%s' "$0" > ${cert}; printf '%s' "$1" > ${key}`, own.cert, own.key]);
    const files = ensureTlsFiles(h, '127.0.0.1', { certFile: cert, keyFile: key });
    expect(files.cert).toBe(own.cert);
    expect(() => ensureTlsFiles(h, '127.0.0.1', { certFile: cert })).toThrow(/tls.certFile and tls.keyFile/);
    expect(() => ensureTlsFiles(h, '127.0.0.1', { certFile: join(h, 'nope'), keyFile: key })).toThrow(
      /tls.certFile: cannot read/,
    );
  });
});
