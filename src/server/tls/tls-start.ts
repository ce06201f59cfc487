import type { Server } from 'node:https';
import type { HangarConfig } from '../../config/config.js';
import { ensureTlsFiles } from './tls-files.js';
import { listenTls } from './tls-listener.js';

/** Makes (or reads) the certificate and starts the HTTPS listener on `port` (0: a free one). */
export async function startTls(
  fetch: (req: Request) => Response | Promise<Response>,
  config: HangarConfig,
  port: number,
): Promise<{ server: Server; url: string; bundlePath: string }> {
  const files = ensureTlsFiles(config.home, config.host, config.tls);
  try {
    const { server, url } = await listenTls(fetch, config.host, port, files);
    return { server, url, bundlePath: files.bundlePath };
  } catch (err) {
    // The default port (HTTP + 1) may be taken: then any free one (clients read it from server.json
    // or `hangar azureml env`). A port the operator chose is never swapped.
    if ((err as { code?: string }).code !== 'EADDRINUSE' || config.tls.port !== undefined) throw err;
    const { server, url } = await listenTls(fetch, config.host, 0, files);
    return { server, url, bundlePath: files.bundlePath };
  }
}
