import { HangarError } from '../../domain/errors/hangar-error.js';
import type { Page, PageRequest } from '../../store/store.js';

const MAX_TOP = 1000;
const DEFAULT_TOP = 100;

/** Reads `$top` and `$skipToken` from the query. */
export function pageRequest(query: Record<string, string>): PageRequest {
  const raw = query.$top;
  let top = DEFAULT_TOP;
  if (raw !== undefined) {
    top = Number(raw);
    if (!Number.isInteger(top) || top < 1 || top > MAX_TOP) {
      throw new HangarError(
        'ValidationFailed',
        `$top must be an integer from 1 to ${MAX_TOP}; got '${raw}'`,
        '$top',
      );
    }
  }
  const page: PageRequest = { top };
  if (query.$skipToken) page.skipToken = query.$skipToken;
  return page;
}

/** A list body `{value, nextLink}` where nextLink repeats the query with the next $skipToken. */
export function listBody<T, R>(
  page: Page<T>,
  map: (item: T) => R,
  baseUrl: string,
  path: string,
  query: Record<string, string>,
): { value: R[]; nextLink?: string } {
  const body: { value: R[]; nextLink?: string } = { value: page.items.map(map) };
  const link = nextLink(page, baseUrl, path, query);
  if (link !== undefined) body.nextLink = link;
  return body;
}

/** The link to the page after `page` (the query repeated with its $skipToken), if there is one. */
export function nextLink(
  page: Page<unknown>,
  baseUrl: string,
  path: string,
  query: Record<string, string>,
): string | undefined {
  if (!page.skipToken) return undefined;
  const params = new URLSearchParams({ ...query, $skipToken: page.skipToken });
  return `${baseUrl}${path}?${params.toString()}`;
}
