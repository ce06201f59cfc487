/**
 * The one way Hangar turns an argv into text a POSIX shell (sh, bash, dash, zsh) reads back as
 * exactly that argv: remote commands over SSH, Slurm batch scripts, command lines shown to users.
 * Nothing variable is ever pasted into a command by string interpolation; scripts that must be
 * scripts are constant text that receives its variable parts as positional parameters
 * (`commandLine(['sh', '-c', SCRIPT, 'sh', ...args])`) or, in a heredoc, through `shellQuote`.
 */

/** Characters no POSIX shell (nor zsh) treats specially inside an argument word; a leading `=` is zsh's path expansion. */
const SAFE_WORD = /^[A-Za-z0-9_./:,+@%-][A-Za-z0-9_./:,+@%=-]*$/;

/** Words a shell reads as syntax, not as a command, when they come first. */
const RESERVED = new Set([
  'case',
  'coproc',
  'do',
  'done',
  'elif',
  'else',
  'esac',
  'fi',
  'for',
  'function',
  'if',
  'in',
  'select',
  'then',
  'time',
  'until',
  'while',
  'repeat',
  'foreach',
  'end',
  'nocorrect',
  'noglob',
]);

/**
 * One argument as a shell word: bare when it holds only safe characters, else single-quoted (a `'`
 * inside becomes `'\''`). The empty string is `''`. NUL cannot be in an argv, so it is refused.
 */
export function shellQuote(arg: string): string {
  return SAFE_WORD.test(arg) ? arg : singleQuoted(arg);
}

function singleQuoted(arg: string): string {
  if (arg.includes('\0')) throw new Error('a shell argument cannot contain a NUL byte');
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * A command line that runs exactly `argv` (program first). The program word is also quoted when it
 * would otherwise read as an assignment (`A=b`) or a reserved word (`if`), so it always names a command.
 */
export function commandLine(argv: readonly string[]): string {
  const [program, ...args] = argv;
  if (program === undefined) throw new Error('a command line needs a program');
  const first = program.includes('=') || RESERVED.has(program) ? singleQuoted(program) : shellQuote(program);
  return [first, ...args.map(shellQuote)].join(' ');
}
