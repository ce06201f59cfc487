import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** What a client needs to reach the HTTPS listener: its URL and the CA that signed its certificate. */
export interface TlsInfo {
  httpsUrl: string;
  caPem: string;
}

/**
 * The running server's HTTPS URL (from HOME/server.json, its host replaced by the advertised one
 * when the operator set advertiseUrl) and its CA (HOME/tls/hangar-ca.pem); undefined when TLS is off.
 */
export function tlsInfo(home: string, advertiseUrl: string | undefined): TlsInfo | undefined {
  const serverJson = join(home, 'server.json');
  const caFile = join(home, 'tls', 'hangar-ca.pem');
  if (!existsSync(serverJson) || !existsSync(caFile)) return undefined;
  const { tlsUrl } = JSON.parse(readFileSync(serverJson, 'utf8')) as { tlsUrl?: string };
  if (!tlsUrl) return undefined;
  const url = new URL(tlsUrl);
  if (advertiseUrl) url.hostname = new URL(advertiseUrl).hostname;
  return { httpsUrl: url.origin, caPem: readFileSync(caFile, 'utf8') };
}
