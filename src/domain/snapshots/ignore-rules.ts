/**
 * gitignore semantics for snapshots. Each folder may hold an ignore file; as in Azure ML, a
 * folder's `.amlignore` is used when present, else its `.gitignore`. Rules of outer folders apply
 * inside; later rules win; `!` re-includes; a trailing `/` matches folders only; a pattern with a
 * `/` (other than a trailing one) is anchored to its file's folder; `**` spans folders.
 */

/** One compiled rule. */
export interface IgnoreRule {
  /** Folder of the ignore file, relative to the snapshot root ('' for the root). */
  base: string;
  negate: boolean;
  dirOnly: boolean;
  regex: RegExp;
  /** Which file it came from, to report what excluded a path. */
  source: '.amlignore' | '.gitignore';
  pattern: string;
}

function globToRegex(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const slashAfter = glob[i + 2] === '/';
        out += slashAfter ? '(?:.*/)?' : '.*';
        i += slashAfter ? 2 : 1;
      } else out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) out += '\\[';
      else {
        out += `[${glob
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else if (c === '\\' && i + 1 < glob.length) out += `\\${glob[++i] as string}`;
    else out += c.replace(/[.+^${}()|\]\\]/g, '\\$&');
  }
  return out;
}

/** Compiles the lines of one ignore file found in folder `base`. */
export function parseIgnoreFile(text: string, base: string, source: IgnoreRule['source']): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  for (const raw of text.split(/\r?\n/)) {
    let line = raw.replace(/(?<!\\)\s+$/, '');
    if (line === '' || line.startsWith('#')) continue;
    const negate = line.startsWith('!');
    if (negate) line = line.slice(1);
    if (line.startsWith('\\#') || line.startsWith('\\!')) line = line.slice(1);
    const dirOnly = line.endsWith('/');
    if (dirOnly) line = line.slice(0, -1);
    const anchored = line.includes('/');
    if (line.startsWith('/')) line = line.slice(1);
    if (line === '') continue;
    const body = globToRegex(line);
    // Unanchored patterns match a name at any depth below the ignore file's folder.
    const regex = new RegExp(`^${anchored ? '' : '(?:.*/)?'}${body}$`);
    rules.push({ base, negate, dirOnly, regex, source, pattern: raw.trim() });
  }
  return rules;
}

/** The verdict on one path: ignored or not, and by which rule. */
export interface IgnoreVerdict {
  ignored: boolean;
  rule?: IgnoreRule;
}

/** Applies rules (outer folders first, in file order) to a path relative to the snapshot root. */
export function isIgnored(rules: readonly IgnoreRule[], path: string, isDir: boolean): IgnoreVerdict {
  let verdict: IgnoreVerdict = { ignored: false };
  for (const rule of rules) {
    if (rule.dirOnly && !isDir) continue;
    if (rule.base !== '' && !path.startsWith(`${rule.base}/`)) continue;
    const rel = rule.base === '' ? path : path.slice(rule.base.length + 1);
    if (rule.regex.test(rel)) verdict = { ignored: !rule.negate, rule };
  }
  return verdict;
}
