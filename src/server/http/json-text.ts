/**
 * A response body already serialized as JSON, answered as is: views rendered from shared, frozen
 * records are kept as text, and a list is their concatenation (serializing 100 computes per list
 * was a quarter of the server's time under a load of list requests).
 */
export class JsonText {
  constructor(readonly text: string) {}
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

/** `{"value":[...],"nextLink":...}` from items already serialized. */
export function listText(items: readonly string[], nextLink: string | undefined): JsonText {
  const link = nextLink === undefined ? '' : `,"nextLink":${JSON.stringify(nextLink)}`;
  return new JsonText(`{"value":[${items.join(',')}]${link}}`);
}
