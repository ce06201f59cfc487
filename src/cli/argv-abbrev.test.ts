import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { expandAbbreviations } from './argv-abbrev.js';
import { withCommon } from './cli-context.js';

function program(): Command {
  const p = new Command('hangar');
  const job = p.command('job');
  withCommon(job.command('show')).requiredOption('-n, --name <name>', 'name');
  withCommon(job.command('list'))
    .option('--include-archived', 'x')
    .option('--archived-only', 'x')
    .option('--set <pairs...>', 'x');
  return p;
}

describe('expandAbbreviations', () => {
  it('expands an unambiguous prefix of a long option, as argparse does', () => {
    expect(expandAbbreviations(program(), ['job', 'show', '--nam', 'x', '--out', 'tsv'])).toEqual([
      'job',
      'show',
      '--name',
      'x',
      '--output',
      'tsv',
    ]);
    expect(expandAbbreviations(program(), ['job', 'show', '--resource-gr=rg', '--que', 'status'])).toEqual([
      'job',
      'show',
      '--resource-group=rg',
      '--query',
      'status',
    ]);
  });

  it('treats --workspace and --workspace-name as one option', () => {
    expect(expandAbbreviations(program(), ['job', 'show', '--work', 'ws'])).toEqual([
      'job',
      'show',
      '--workspace-name',
      'ws',
    ]);
    expect(expandAbbreviations(program(), ['job', 'show', '--workspace', 'ws'])).toEqual([
      'job',
      'show',
      '--workspace',
      'ws',
    ]);
  });

  it('refuses an ambiguous prefix, naming what it could be', () => {
    expect(() => expandAbbreviations(program(), ['job', 'show', '--o', 'tsv'])).toThrow(
      "ambiguous option: --o could match --only-show-errors, --output (in 'hangar job show')",
    );
    expect(expandAbbreviations(program(), ['job', 'list', '--ar', '--ve'])).toEqual([
      'job',
      'list',
      '--archived-only',
      '--verbose',
    ]);
  });

  it('leaves option values, unknown options and everything after -- as written', () => {
    expect(
      expandAbbreviations(program(), ['job', 'show', '--name', '--out', '--bogus', '--', '--nam']),
    ).toEqual(['job', 'show', '--name', '--out', '--bogus', '--', '--nam']);
  });
});
