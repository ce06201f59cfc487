import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: the lint configuration is plain JavaScript.
import { layerRules } from '../../eslint.layers.js';

const root = join(import.meta.dirname, '..', '..');
const eslint = new ESLint({
  cwd: root,
  overrideConfigFile: true,
  overrideConfig: [
    { files: ['**/*.ts', '**/*.tsx'], languageOptions: { parser: tseslint.parser } },
    ...(layerRules as []),
  ],
});

async function problems(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, file) });
  return (result?.messages ?? []).map((m) => `${m.ruleId ?? ''}: ${m.message}`);
}

describe('layer rules (npm test fails on a forbidden import)', () => {
  it.each([
    [
      'src/domain/jobs/x.ts',
      "import { startServer } from '../../server/hangar-server.js';",
      'The domain is pure',
    ],
    ['src/domain/jobs/x.ts', "import type { Store } from '../../store/store.js';", 'The domain is pure'],
    [
      'src/server/http/routes/x.ts',
      "import { SqliteStore } from '../../../store/sqlite/sqlite-store.js';",
      'never the store',
    ],
    ['src/cli/commands/x.ts', "import { startServer } from '../../server/hangar-server.js';", 'Clients'],
    [
      'studio/src/pages/x.tsx',
      "import { JobService } from '../../../src/server/jobs/job-service.js';",
      'Clients',
    ],
    [
      'src/agent/x.ts',
      "import { JobService } from '../server/jobs/job-service.js';",
      'The agent runs on nodes',
    ],
    [
      'src/providers/local/x.ts',
      "import { releaseNode } from '../../server/nodes/release-node.js';",
      'Providers know one backend',
    ],
    [
      'src/server/http/routes/x.ts',
      'export const f = (i: any) => i.services.ctx.store.jobs.all({});',
      'never the store: add a service method',
    ],
    [
      'src/server/http/x.ts',
      'export const f = (ctx: any) => ctx.store.nodes.all({});',
      'never the store: add a service method',
    ],
    [
      'src/server/http/routes/x.ts',
      'export const f = () => process.env.HOME;',
      'Only src/config reads process.env',
    ],
  ])('%s may not import %s', async (file, code, words) => {
    const found = await problems(file, code);
    expect(found.join('\n')).toContain(words);
  });

  it.each([
    ['src/domain/jobs/x.ts', "import { terminalStates } from './job-record.js';"],
    ['src/server/http/routes/x.ts', "import { JobService } from '../../jobs/job-service.js';"],
    ['src/server/http/routes/x.ts', 'export const f = (i: any) => i.services.ctx.clock.now();'],
    ['src/cli/main.ts', "import { version } from '../server/version.js';"],
    ['src/cli/commands/server-command.ts', "import { startServer } from '../../server/hangar-server.js';"],
  ])('%s may import %s', async (file, code) => {
    expect(await problems(file, code)).toEqual([]);
  });
});
