/**
 * A response body already serialized as JSON, answered as is: views rendered from shared, frozen
 * records are kept as text, and a list is their concatenation (serializing 100 computes per list
 * was a quarter of the server's time under a load of list requests).
 */
export class JsonText {
  constructor(
    readonly text: string,
    /** `text` as UTF-8, when it was kept encoded (a list answered again). */
    readonly bytes?: Uint8Array<ArrayBuffer>,
  ) {}
}

/**
 * Renders `record` with `render` as JSON text, once per record and variant while the record is
 * the same frozen object (the SQLite store shares one per version); a record that may still change
 * (not frozen) is rendered each time.
 */
export function renderedText<R extends object>(
  cache: WeakMap<R, { variant: string; text: string }>,
  record: R,
  variant: string,
  render: (record: R) => unknown,
): string {
  const hit = cache.get(record);
  if (hit?.variant === variant) return hit.text;
  const text = JSON.stringify(render(record));
  if (Object.isFrozen(record)) cache.set(record, { variant, text });
  return text;
}

/** The last lists answered, with their bytes: a list read again unchanged is sent as it was. */
const recentLists: { items: readonly string[]; link: string; json: JsonText }[] = [];
const recentListsKept = 8;
const utf8 = new TextEncoder();

/** Whether two lists hold the same texts (the same string objects while the records are the same). */
function sameTexts(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * `{"value":[...],"nextLink":...}` from items already serialized, as text and UTF-8 bytes. A page
 * of 100 computes is 100 KB: joining, measuring and encoding it per request was a third of the
 * server's time (and most of its garbage) under 16 clients listing, so the last few lists are
 * kept and a request for the same items and link gets the same bytes.
 */
export function listText(items: readonly string[], nextLink: string | undefined): JsonText {
  const link = nextLink === undefined ? '' : `,"nextLink":${JSON.stringify(nextLink)}`;
  const hit = recentLists.find((l) => l.link === link && sameTexts(l.items, items));
  if (hit) return hit.json;
  const text = `{"value":[${items.join(',')}]${link}}`;
  const json = new JsonText(text, utf8.encode(text));
  recentLists.unshift({ items: [...items], link, json });
  if (recentLists.length > recentListsKept) recentLists.pop();
  return json;
}
