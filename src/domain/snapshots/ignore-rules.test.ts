import { describe, expect, it } from 'vitest';
import { isIgnored, parseIgnoreFile } from './ignore-rules.js';

const rules = (text: string, base = '') => parseIgnoreFile(text, base, '.gitignore');

describe('ignore rules (gitignore semantics)', () => {
  it.each([
    ['*.log', 'a.log', false, true],
    ['*.log', 'deep/dir/a.log', false, true],
    ['*.log', 'a.txt', false, false],
    ['/build', 'build', true, true],
    ['/build', 'src/build', true, false],
    ['data/', 'data', true, true],
    ['data/', 'data', false, false],
    ['docs/*.md', 'docs/a.md', false, true],
    ['docs/*.md', 'docs/x/a.md', false, false],
    ['**/cache', 'a/b/cache', true, true],
    ['a/**/z', 'a/z', false, true],
    ['a/**/z', 'a/b/c/z', false, true],
    ['file?.txt', 'file1.txt', false, true],
    ['file[0-9].txt', 'file7.txt', false, true],
    ['file[0-9].txt', 'filex.txt', false, false],
    ['# comment', '# comment', false, false],
  ])('%s on %s (dir %s) → ignored %s', (pattern, path, isDir, expected) => {
    expect(isIgnored(rules(pattern), path, isDir).ignored).toBe(expected);
  });

  it('negation re-includes and the last matching rule wins', () => {
    const r = rules('*.csv\n!keep.csv');
    expect(isIgnored(r, 'big.csv', false).ignored).toBe(true);
    expect(isIgnored(r, 'keep.csv', false).ignored).toBe(false);
  });

  it('rules of a nested file apply only below its folder', () => {
    const r = [...rules('*.tmp'), ...rules('secret.txt\n!x.tmp', 'sub')];
    expect(isIgnored(r, 'secret.txt', false).ignored).toBe(false);
    expect(isIgnored(r, 'sub/secret.txt', false).ignored).toBe(true);
    expect(isIgnored(r, 'sub/x.tmp', false).ignored).toBe(false);
    expect(isIgnored(r, 'y.tmp', false).rule?.pattern).toBe('*.tmp');
  });
});
