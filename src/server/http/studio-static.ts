import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context, Hono } from 'hono';

/** Where `npm run build` puts the studio (vite's output, beside the compiled server). */
export const defaultStudioDir = fileURLToPath(new URL('../../studio/', import.meta.url));

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

// The studio needs nothing from elsewhere: scripts, styles and sockets are same-origin only, and
// it may not be framed (clickjacking). Inline style attributes are what React's `style` sets.
const securityHeaders = {
  'content-security-policy':
    "default-src 'self'; connect-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
};

async function fileIn(root: string, urlPath: string): Promise<string | undefined> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined; // malformed %-escapes name no file
  }
  const path = normalize(join(root, decoded));
  if (!path.startsWith(root.endsWith(sep) ? root : root + sep)) return undefined;
  const info = await stat(path).catch(() => undefined);
  return info?.isFile() ? path : undefined;
}

async function serveStudio(c: Context, root: string): Promise<Response> {
  const pathname = new URL(c.req.url).pathname;
  const asset = pathname === '/' ? undefined : await fileIn(root, pathname);
  const file = asset ?? join(root, 'index.html');
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    return c.text('The studio is not built: run `npm run build` (it builds the server and the studio).', 503);
  }
  // Hashed asset names never change content; index.html must always be fetched fresh.
  const cache = asset && pathname.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
  const type = contentTypes[extname(file)] ?? 'application/octet-stream';
  return c.body(new Uint8Array(body), 200, {
    ...securityHeaders,
    'content-type': type,
    'cache-control': cache,
  });
}

/**
 * Serves the studio: its files, and index.html for every other GET outside /api and /apps so
 * that the single-page app's own paths (/computes/…, /jobs/…) survive a reload.
 */
export function mountStudio(
  app: Hono<{ Variables: { action: string } }>,
  root: string = defaultStudioDir,
): void {
  app.get('*', async (c, next) => {
    const pathname = new URL(c.req.url).pathname;
    if (pathname.startsWith('/api/') || pathname === '/api' || pathname.startsWith('/apps/')) return next();
    return serveStudio(c, root);
  });
}
