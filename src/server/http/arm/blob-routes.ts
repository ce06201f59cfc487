import { join } from 'node:path';
import type { Context, Hono } from 'hono';
import type { Services } from '../../services/services.js';
import { bearerOf } from '../caller.js';
import { action } from '../route-def.js';
import { BlobContainers, type BlobEntry } from './blob-containers.js';
import { sasAllows, workspaceOfContainer } from './blob-sas.js';
import { artifactBlob, artifactList } from './job-artifacts.js';

/** The storage account name in path-style blob URLs (`https://host:port/hangarblob/<container>/<blob>`). */
export const BLOB_ACCOUNT = 'hangarblob';

const xmlEscape = (s: string): string =>
  s.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c,
  );

function storageError(status: number, code: string, message: string): Response {
  return new Response(
    `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error>`,
    {
      status,
      headers: { 'content-type': 'application/xml', 'x-ms-error-code': code, 'x-ms-version': '2021-12-02' },
    },
  );
}

function metadataOf(c: Context): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(c.req.header())) if (k.startsWith('x-ms-meta-')) out[k.slice(10)] = v;
  return out;
}

function blobHeaders(e: BlobEntry): Record<string, string> {
  const h: Record<string, string> = {
    etag: e.etag,
    'last-modified': e.lastModified,
    'x-ms-blob-type': 'BlockBlob',
    'x-ms-version': '2021-12-02',
    'content-md5': e.md5,
    'content-type': e.contentType,
    'accept-ranges': 'bytes',
  };
  for (const [k, v] of Object.entries(e.metadata)) h[`x-ms-meta-${k}`] = v;
  return h;
}

/** Who may touch a container: a SAS for it, or a bearer whose principal holds the action on its workspace. */
async function allowed(
  c: Context,
  services: Services,
  container: string,
  write: boolean,
): Promise<Response | undefined> {
  const ws = workspaceOfContainer(container);
  if (!ws) return storageError(404, 'ContainerNotFound', `No container '${container}'.`);
  const query = new URL(c.req.url).searchParams;
  if (query.has('sig'))
    return sasAllows(services.ctx.secrets, container, query, services.ctx.clock.now())
      ? undefined
      : storageError(403, 'AuthenticationFailed', 'The SAS is not valid for this container or has expired.');
  const principal = await services.access.authenticate(bearerOf(c.req.header('authorization'), undefined));
  if (!principal)
    return storageError(401, 'NoAuthenticationInformation', 'A SAS or a bearer token is required.');
  try {
    await services.access.check(
      principal,
      action(write ? 'workspaces/datastores/write' : 'workspaces/datastores/read'),
      { kind: 'scope', scope: `/workspaces/${ws}` },
    );
  } catch (err) {
    return storageError(403, 'AuthorizationPermissionMismatch', (err as Error).message);
  }
  return undefined;
}

function listXml(
  c: Context,
  container: string,
  prefix: string,
  delimiter: string,
  entries: BlobEntry[],
  withMeta: boolean,
): string {
  const blobs: string[] = [];
  const prefixes = new Set<string>();
  for (const e of entries) {
    const rest = e.name.slice(prefix.length);
    const cut = delimiter ? rest.indexOf(delimiter) : -1;
    if (cut >= 0) {
      prefixes.add(prefix + rest.slice(0, cut + delimiter.length));
      continue;
    }
    const meta = withMeta
      ? `<Metadata>${Object.entries(e.metadata)
          .map(([k, v]) => `<${k}>${xmlEscape(v)}</${k}>`)
          .join('')}</Metadata>`
      : '';
    blobs.push(
      `<Blob><Name>${xmlEscape(e.name)}</Name><Properties><Last-Modified>${e.lastModified}</Last-Modified><Etag>${xmlEscape(e.etag)}</Etag><Content-Length>${e.size}</Content-Length><Content-Type>${xmlEscape(e.contentType)}</Content-Type><Content-MD5>${e.md5}</Content-MD5><BlobType>BlockBlob</BlobType></Properties>${meta}</Blob>`,
    );
  }
  const origin = new URL(c.req.url).origin;
  const pre = [...prefixes].map((p) => `<BlobPrefix><Name>${xmlEscape(p)}</Name></BlobPrefix>`).join('');
  return `<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="${origin}/${BLOB_ACCOUNT}/" ContainerName="${xmlEscape(container)}"><Prefix>${xmlEscape(prefix)}</Prefix>${delimiter ? `<Delimiter>${xmlEscape(delimiter)}</Delimiter>` : ''}<Blobs>${blobs.join('')}${pre}</Blobs><NextMarker /></EnumerationResults>`;
}

function blockIds(xml: string): string[] {
  return [...xml.matchAll(/<(Latest|Committed|Uncommitted)>([^<]*)<\/\1>/g)].map((m) => m[2] ?? '');
}

function rangeOf(c: Context, size: number): [number, number] | undefined {
  const raw = c.req.header('x-ms-range') ?? c.req.header('range');
  const m = raw ? /^bytes=(\d+)-(\d*)$/.exec(raw) : null;
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
  return [start, end];
}

/**
 * A path-style subset of the Azure Blob service, enough for the Azure ML SDK's code upload and
 * `jobs.download`: Get Blob Properties, Put Blob, Put Block, Put Block List, Set Blob Metadata,
 * List Blobs (prefix, delimiter, metadata), Get Blob (ranges). Written by hand rather than running
 * Azurite: the bytes land in Hangar's content-addressed store (code snapshots reuse them) and job
 * logs and outputs are listed from where Hangar already keeps them, with no second server to run.
 */
export function mountBlobService(app: Hono<{ Variables: { action: string } }>, services: Services): void {
  // Built on first use: mounting routes needs no services beyond what a request will use.
  let containers: BlobContainers | undefined;
  const store = (): BlobContainers => (containers ??= blobContainers(services));
  app.get(`/${BLOB_ACCOUNT}/:container`, async (c) => {
    const container = c.req.param('container');
    const denied = await allowed(c, services, container, false);
    if (denied) return denied;
    const q = new URL(c.req.url).searchParams;
    if (q.get('comp') !== 'list')
      return storageError(400, 'UnsupportedQueryParameter', 'Only comp=list is served on a container.');
    const prefix = q.get('prefix') ?? '';
    const entries = [
      ...store().list(container, prefix),
      ...(await artifactList(services, container, prefix)),
    ].sort((a, b) => a.name.localeCompare(b.name));
    const xml = listXml(
      c,
      container,
      prefix,
      q.get('delimiter') ?? '',
      entries,
      (q.get('include') ?? '').includes('metadata'),
    );
    return new Response(xml, {
      status: 200,
      headers: { 'content-type': 'application/xml', 'x-ms-version': '2021-12-02' },
    });
  });
  app.on(['GET', 'HEAD', 'PUT'], `/${BLOB_ACCOUNT}/:container/*`, async (c) => {
    const container = c.req.param('container');
    const url = new URL(c.req.url);
    const name = decodeURIComponent(
      url.pathname.slice(`/${BLOB_ACCOUNT}/${encodeURIComponent(container)}/`.length),
    );
    const method = c.req.method;
    const denied = await allowed(c, services, container, method === 'PUT');
    if (denied) return denied;
    const comp = url.searchParams.get('comp');
    if (method === 'PUT') {
      const body = Buffer.from(await c.req.arrayBuffer());
      if (comp === 'block') {
        store().stageBlock(container, name, url.searchParams.get('blockid') ?? '', body);
        return new Response(null, { status: 201, headers: { 'x-ms-version': '2021-12-02' } });
      }
      if (comp === 'metadata') {
        const entry = store().get(container, name);
        if (!entry) return storageError(404, 'BlobNotFound', `No blob '${name}'.`);
        const next = store().setMetadata(container, entry, metadataOf(c));
        return new Response(null, {
          status: 200,
          headers: { etag: next.etag, 'last-modified': next.lastModified },
        });
      }
      if (c.req.header('if-none-match') === '*' && store().get(container, name))
        return storageError(409, 'BlobAlreadyExists', `The blob '${name}' already exists.`);
      const type = c.req.header('x-ms-blob-content-type') ?? 'application/octet-stream';
      if (comp === 'blocklist') {
        const done = store().commitBlocks(
          container,
          name,
          blockIds(body.toString('utf8')),
          type,
          metadataOf(c),
        );
        if ('missing' in done)
          return storageError(400, 'InvalidBlockList', `Block '${done.missing}' was never staged.`);
        return new Response(null, {
          status: 201,
          headers: { etag: done.etag, 'last-modified': done.lastModified },
        });
      }
      if (comp) return storageError(400, 'UnsupportedQueryParameter', `comp=${comp} is not served.`);
      const entry = store().put(container, name, body, type, metadataOf(c));
      return new Response(null, {
        status: 201,
        headers: {
          etag: entry.etag,
          'last-modified': entry.lastModified,
          'content-md5': entry.md5,
          'x-ms-request-server-encrypted': 'true',
        },
      });
    }
    const virtual = store().get(container, name) ? undefined : await artifactBlob(services, container, name);
    const entry = store().get(container, name) ?? virtual?.entry;
    if (!entry) return storageError(404, 'BlobNotFound', `The blob '${name}' does not exist.`);
    const headers = blobHeaders(entry);
    if (method === 'HEAD')
      return new Response(null, {
        status: 200,
        headers: { ...headers, 'content-length': String(entry.size) },
      });
    const bytes = virtual ? virtual.bytes : store().bytes(entry);
    const range = rangeOf(c, bytes.length);
    if (!range)
      return new Response(bytes, {
        status: 200,
        headers: { ...headers, 'content-length': String(bytes.length) },
      });
    const [start, end] = range;
    if (start >= bytes.length && bytes.length > 0)
      return storageError(416, 'InvalidRange', 'The range is past the end of the blob.');
    const part = bytes.subarray(start, end + 1);
    return new Response(part, {
      status: 206,
      headers: {
        ...headers,
        'content-length': String(part.length),
        'content-range': `bytes ${start}-${Math.max(start, end)}/${bytes.length}`,
      },
    });
  });
}

/** The blob containers of a server (the code-version routes read uploaded code from them). */
export function blobContainers(services: Services): BlobContainers {
  return new BlobContainers(join(services.ctx.config.home, 'azureml-blobs'), services.snapshots.blobs, () =>
    services.ctx.clock.now(),
  );
}
