import { describe, expect, it } from 'vitest';
import { listText, renderedText } from './json-text.js';

describe('renderedText', () => {
  it('renders a frozen record once per variant, and a record that may change every time', () => {
    const cache = new WeakMap<object, { variant: string; text: string }>();
    let renders = 0;
    const render = (r: { n: number }): unknown => ({ n: r.n, at: ++renders });
    const frozen = Object.freeze({ n: 1 });
    expect(renderedText(cache, frozen, 'a', render)).toBe('{"n":1,"at":1}');
    expect(renderedText(cache, frozen, 'a', render)).toBe('{"n":1,"at":1}');
    // Another variant (a workspace location) is rendered anew.
    expect(renderedText(cache, frozen, 'b', render)).toBe('{"n":1,"at":2}');
    const open = { n: 5 };
    expect(renderedText(cache, open, 'a', render)).toBe('{"n":5,"at":3}');
    open.n = 6;
    expect(renderedText(cache, open, 'a', render)).toBe('{"n":6,"at":4}');
  });
});

describe('listText', () => {
  it('is the JSON of {value, nextLink} from serialized items', () => {
    expect(JSON.parse(listText(['{"a":1}', '{"b":"x,y"}'], undefined).text)).toEqual({
      value: [{ a: 1 }, { b: 'x,y' }],
    });
    expect(JSON.parse(listText([], 'http://h/p?$skipToken="q"').text)).toEqual({
      value: [],
      nextLink: 'http://h/p?$skipToken="q"',
    });
  });

  it('answers the same items and link again with the same bytes, and anything else anew', () => {
    const items = ['{"a":1}', '{"b":2}'];
    const first = listText(items, 'http://h/next');
    expect(new TextDecoder().decode(first.bytes)).toBe(first.text);
    // The same texts (a new array, as a handler maps its records each time): the very same bytes.
    expect(listText([...items], 'http://h/next').bytes).toBe(first.bytes);
    // Another link, another item, one item fewer: a list of its own.
    expect(listText(items, undefined).text).toBe('{"value":[{"a":1},{"b":2}]}');
    expect(listText(['{"a":1}', '{"b":3}'], 'http://h/next').text).toBe(
      '{"value":[{"a":1},{"b":3}],"nextLink":"http://h/next"}',
    );
    expect(JSON.parse(listText(['{"a":1}'], 'http://h/next').text)).toEqual({
      value: [{ a: 1 }],
      nextLink: 'http://h/next',
    });
    // Non-ASCII text is counted and sent as UTF-8.
    const accented = listText(['{"name":"café"}'], undefined);
    expect(accented.bytes?.length).toBe(Buffer.byteLength(accented.text));
  });
});
