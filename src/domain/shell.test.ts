import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { commandLine, shellQuote } from './shell.js';

/** The argv a real shell hands to `printf '%s\0'` when it reads `line` (one NUL-terminated word each). */
function argvThrough(shell: string, line: string): string[] {
  const out = execFileSync(shell, ['-c', line], { encoding: 'utf8' });
  return out.split('\0').slice(0, -1);
}

const tricky = [
  'plain',
  'two words',
  '',
  "it's",
  "''",
  "'\\''",
  '$HOME',
  '${PATH}',
  '$(id)',
  '`id`',
  '"double"',
  'back\\slash',
  'new\nline',
  'tab\there',
  '\n',
  ' leading and trailing ',
  '*',
  '?',
  '[a-z]',
  '~',
  '~root',
  '!',
  '!!',
  '#comment',
  'a;b',
  'a&&b',
  'a|b',
  'a>b',
  '<',
  '(x)',
  '{a,b}',
  '=ls',
  'A=b',
  '--flag=value',
  '-n',
  '-e',
  'héllo wörld',
  '日本語',
  '🚀 emoji',
  '\u00a0nbsp',
  '\x7f\x01\x1b[0m',
  '%1',
  'if',
];

describe('shellQuote / commandLine', () => {
  it('leaves safe words bare and single-quotes the rest', () => {
    expect(shellQuote('train.py')).toBe('train.py');
    expect(shellQuote('--alpha=0.5')).toBe('--alpha=0.5');
    expect(shellQuote('two words')).toBe("'two words'");
    expect(shellQuote('')).toBe("''");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    expect(shellQuote('$HOME')).toBe("'$HOME'");
    expect(shellQuote('=ls')).toBe("'=ls'");
    expect(shellQuote('日本語')).toBe("'日本語'");
  });

  it('quotes a program word that would read as an assignment or a reserved word', () => {
    expect(commandLine(['python', 'train.py', 'two words'])).toBe("python train.py 'two words'");
    expect(commandLine(['A=b', 'x'])).toBe("'A=b' x");
    expect(commandLine(['if'])).toBe("'if'");
  });

  it('refuses what no argv can hold', () => {
    expect(() => commandLine([])).toThrow(/program/);
    expect(() => shellQuote('a\0b')).toThrow(/NUL/);
  });

  for (const shell of ['bash', 'sh']) {
    it(`every argument survives a real ${shell} -c exactly`, () => {
      const line = commandLine(['printf', '%s\\0', ...tricky]);
      expect(argvThrough(shell, line)).toEqual(tricky);
    });

    it(`each argument alone survives ${shell} -c exactly`, () => {
      for (const arg of tricky)
        expect(argvThrough(shell, commandLine(['printf', '%s\\0', arg]))).toEqual([arg]);
    });
  }

  it('survives two shells in a row (ssh runs the line in a login shell, which runs sh -c SCRIPT sh ARGS)', () => {
    const script = 'printf "%s\\0" "$@"';
    const remote = commandLine(['sh', '-c', script, 'sh', ...tricky]);
    expect(argvThrough('bash', remote)).toEqual(tricky);
  });

  it('runs the program the argv names, even when it looks like an assignment', () => {
    // `'A=b' x` asks for a program called A=b: the shell looks for it rather than setting a variable.
    const r = (() => {
      try {
        return execFileSync('bash', ['-c', commandLine(['A=b', 'printf', 'ran'])], {
          encoding: 'utf8',
          stdio: 'pipe',
        });
      } catch (err) {
        return String((err as { stderr?: string }).stderr);
      }
    })();
    expect(r).toMatch(/A=b: command not found/);
  });
});
