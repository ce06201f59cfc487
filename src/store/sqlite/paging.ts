import type { Page, PageRequest } from '../store.js';

/** Encodes the last key of a page as an opaque token. */
export function encodeToken(key: unknown[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** Decodes a token made by encodeToken; a bad token reads as "from the start". */
export function decodeToken(token: string | undefined): unknown[] | undefined {
  if (!token) return undefined;
  try {
    const v: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    return Array.isArray(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Cuts `rows` (fetched with limit top+1) into a page and its continuation token. */
export function toPage<R, T>(
  rows: R[],
  page: PageRequest,
  keyOf: (r: R) => unknown[],
  map: (r: R) => T,
): Page<T> {
  const more = rows.length > page.top;
  const kept = more ? rows.slice(0, page.top) : rows;
  const last = kept[kept.length - 1];
  const result: Page<T> = { items: kept.map(map) };
  if (more && last !== undefined) result.skipToken = encodeToken(keyOf(last));
  return result;
}
