import type { Command } from 'commander';
import { UsageError } from './usage-error.js';

/** Long flags that are another spelling of the same option (so a prefix of both is not ambiguous). */
const sameOption: Readonly<Record<string, string>> = {
  '--workspace': '--workspace-name',
  '--subscription-id': '--subscription',
};

/** The command argv names, descending through subcommand names and aliases. */
function commandOf(program: Command, args: string[]): { command: Command; from: number } {
  let command = program;
  let i = 0;
  for (; i < args.length; i++) {
    const next = command.commands.find((c) => c.name() === args[i] || c.aliases().includes(args[i] ?? ''));
    if (!next) break;
    command = next;
  }
  return { command, from: i };
}

/**
 * Expands unambiguous prefixes of a command's long options (`--out tsv` → `--output tsv`,
 * `--resource-gr rg` → `--resource-group rg`), as the Azure CLI's argparse does; commander has no
 * such thing. An ambiguous prefix is a usage error naming the options it could be. `args` is the
 * user's part of argv (after node and the script); answers a new array.
 */
export function expandAbbreviations(program: Command, args: string[]): string[] {
  const { command, from } = commandOf(program, args);
  const longs = new Map<string, { required: boolean; optional: boolean }>();
  for (const o of command.options)
    if (o.long) longs.set(o.long, { required: o.required, optional: o.optional });
  longs.set('--help', { required: false, optional: false });
  const out = args.slice(0, from);
  for (let i = from; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--') {
      out.push(...args.slice(i));
      break;
    }
    if (!arg.startsWith('--')) {
      out.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq < 0 ? arg : arg.slice(0, eq);
    const value = eq < 0 ? '' : arg.slice(eq);
    let long = flag;
    if (!longs.has(flag)) {
      const matches = [...longs.keys()].filter((l) => l.startsWith(flag) && flag.length > 2);
      const distinct = new Set(matches.map((m) => sameOption[m] ?? m));
      if (distinct.size > 1)
        throw new UsageError(
          `ambiguous option: ${flag} could match ${matches.sort().join(', ')} (in 'hangar ${commandPathOf(command)}')`,
        );
      if (matches.length > 0) long = [...distinct][0] ?? flag;
    }
    out.push(`${long}${value}`);
    // The option's value is passed through as written, even one that starts with "--".
    const spec = longs.get(long);
    if (eq < 0 && spec && i + 1 < args.length) {
      const next = args[i + 1] ?? '';
      if (spec.required || (spec.optional && !next.startsWith('-'))) {
        out.push(next);
        i++;
      }
    }
  }
  return out;
}

function commandPathOf(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}
