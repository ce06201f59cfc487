import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:https';
import { getRequestListener } from '@hono/node-server';
import { requestErrorResponse } from '../http/transport-errors.js';
import type { TlsFiles } from './tls-files.js';

/** The HTTPS listener: the same app as the HTTP one (the Azure ML SDK sends bearer tokens only over TLS). */
export function listenTls(
  fetch: (req: Request) => Response | Promise<Response>,
  host: string,
  port: number,
  files: TlsFiles,
): Promise<{ server: Server; port: number; url: string }> {
  return new Promise((resolve, reject) => {
    const listener = getRequestListener(fetch, { hostname: host, errorHandler: requestErrorResponse });
    const server = createServer({ cert: files.cert, key: files.key }, (req, res) => void listener(req, res));
    server.once('error', reject);
    server.listen(port, host, () => {
      const bound = (server.address() as AddressInfo).port;
      // Clients on this host reach a wildcard listener on loopback, a name the certificate holds.
      const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
      resolve({ server, port: bound, url: `https://${shown.includes(':') ? `[${shown}]` : shown}:${bound}` });
    });
  });
}
