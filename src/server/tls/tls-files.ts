import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { HangarError } from '../../domain/errors/hangar-error.js';

/** Where the public CA list of a Debian host lives (ca-certificates). */
export const SYSTEM_CA_FILE = '/etc/ssl/certs/ca-certificates.crt';

/** The PEM files the HTTPS listener uses and the bundle clients trust. */
export interface TlsFiles {
  cert: string;
  key: string;
  /** PEM of the CA that signed `cert` (Hangar's own, or the operator's caFile, else the certificate itself). */
  caPem: string;
  /** System CAs + that CA, for REQUESTS_CA_BUNDLE. */
  bundlePath: string;
}

export interface TlsSettings {
  certFile?: string | undefined;
  keyFile?: string | undefined;
  caFile?: string | undefined;
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const e = err as { code?: string; stderr?: Buffer };
    const why =
      e.code === 'ENOENT'
        ? 'the openssl command is not installed (Debian: apt-get install openssl)'
        : (e.stderr?.toString().trim() ?? String(err));
    throw new HangarError('InternalError', `Could not make the server's TLS certificate: ${why}`, 'tls');
  }
}

/** Names the certificate must hold: loopback, this host's name, and the listening address. */
export function subjectAltNames(host: string): string[] {
  const names = new Set(['DNS:localhost', 'IP:127.0.0.1', 'IP:::1', `DNS:${hostname()}`]);
  if (host && host !== '0.0.0.0' && host !== '::')
    names.add(/^[\d.]+$/.test(host) || host.includes(':') ? `IP:${host}` : `DNS:${host}`);
  return [...names];
}

/**
 * Hangar's own CA and a server certificate it signed, made once with the openssl command under
 * `dir` (keys 0600). Kept across restarts so clients keep trusting the same CA; the server
 * certificate is made again when the names it must hold changed.
 */
function ensureOwnCertificate(dir: string, host: string): { cert: string; key: string; caPem: string } {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const caKey = join(dir, 'ca.key');
  const caCert = join(dir, 'ca.crt');
  if (!existsSync(caKey) || !existsSync(caCert)) {
    openssl(
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        'ca.key',
        '-out',
        'ca.crt',
        '-days',
        '3650',
        '-subj',
        `/CN=Hangar CA ${hostname()}`,
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
      ],
      dir,
    );
    chmodSync(caKey, 0o600);
    rmSync(join(dir, 'server.crt'), { force: true });
  }
  const sans = subjectAltNames(host).join(',');
  const sansFile = join(dir, 'server.sans');
  const cert = join(dir, 'server.crt');
  const key = join(dir, 'server.key');
  const current = existsSync(sansFile) ? readFileSync(sansFile, 'utf8') : '';
  if (!existsSync(cert) || !existsSync(key) || current !== sans) {
    openssl(
      [
        'req',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        'server.key',
        '-out',
        'server.csr',
        '-subj',
        `/CN=${hostname()}`,
      ],
      dir,
    );
    chmodSync(key, 0o600);
    writeFileSync(
      join(dir, 'server.ext'),
      [
        'basicConstraints=CA:FALSE',
        'keyUsage=critical,digitalSignature,keyEncipherment',
        'extendedKeyUsage=serverAuth',
        'subjectKeyIdentifier=hash',
        'authorityKeyIdentifier=keyid,issuer',
        `subjectAltName=${sans}`,
        '',
      ].join('\n'),
    );
    openssl(
      [
        'x509',
        '-req',
        '-in',
        'server.csr',
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-days',
        '825',
        '-sha256',
        '-out',
        'server.crt',
        '-extfile',
        'server.ext',
      ],
      dir,
    );
    writeFileSync(sansFile, sans);
  }
  return {
    cert: readFileSync(cert, 'utf8'),
    key: readFileSync(key, 'utf8'),
    caPem: readFileSync(caCert, 'utf8'),
  };
}

function readPem(path: string, field: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new HangarError(
      'ValidationFailed',
      `tls.${field}: cannot read '${path}': ${(err as Error).message}`,
      `tls.${field}`,
    );
  }
}

/**
 * The certificate the HTTPS listener serves: the operator's (certFile + keyFile) or Hangar's own
 * under `HOME/tls`; and the bundle clients trust, written to `HOME/tls/ca-bundle.pem`.
 */
export function ensureTlsFiles(home: string, host: string, settings: TlsSettings): TlsFiles {
  const dir = join(home, 'tls');
  if (!!settings.certFile !== !!settings.keyFile)
    throw new HangarError(
      'ValidationFailed',
      'tls.certFile and tls.keyFile go together: give both (the operator’s certificate) or neither (Hangar makes its own).',
      settings.certFile ? 'tls.keyFile' : 'tls.certFile',
    );
  const files =
    settings.certFile && settings.keyFile
      ? (() => {
          const cert = readPem(settings.certFile, 'certFile');
          return {
            cert,
            key: readPem(settings.keyFile, 'keyFile'),
            caPem: settings.caFile ? readPem(settings.caFile, 'caFile') : cert,
          };
        })()
      : ensureOwnCertificate(dir, host);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const system = existsSync(SYSTEM_CA_FILE) ? readFileSync(SYSTEM_CA_FILE, 'utf8') : '';
  // The CA alone, for clients elsewhere (`hangar azureml env` adds it to their own system's CAs).
  writeFileSync(join(dir, 'hangar-ca.pem'), `${files.caPem.trim()}\n`, { mode: 0o644 });
  const bundlePath = join(dir, 'ca-bundle.pem');
  writeFileSync(bundlePath, `${system.trimEnd()}\n${files.caPem.trim()}\n`, { mode: 0o644 });
  return { ...files, bundlePath };
}
