// The layers, enforced: dependencies point inward (clients → API → domain ← providers/store).
// Shared by eslint.config.js and test/architecture (which proves each rule fires).

const layer = (name) => [`**/${name}/*`, `**/${name}/**`];
const forbid = (files, groups, message, ignores = []) => ({
  files,
  ignores,
  rules: { 'no-restricted-imports': ['error', { patterns: groups.map((group) => ({ group, message })) }] },
});

/** Only src/config reads the environment (eslint.config.js applies it everywhere else). */
export const processEnvRestriction = {
  selector: "MemberExpression[object.name='process'][property.name='env']",
  message: 'Only src/config reads process.env; take values from the config object.',
};

const storeThroughCtx = 'HTTP routes call services, never the store: add a service method instead of reaching ctx.store.';

export const layerRules = [
  forbid(
    ['src/domain/**/*.ts'],
    [
      [
        ...layer('server'),
        ...layer('store'),
        ...layer('providers'),
        ...layer('agent'),
        ...layer('cli'),
        ...layer('sdk'),
        ...layer('snapshots'),
      ],
    ],
    'The domain is pure: it imports nothing of server, store, providers, agent, cli, sdk or snapshots.',
    ['src/**/*.test.ts'],
  ),
  forbid(['src/server/http/**/*.ts'], [layer('store')], 'HTTP routes call services, never the store.', [
    'src/**/*.test.ts',
    'src/server/http/paging.ts',
  ]),
  {
    // Nor through the services' context: `services.ctx.store` is the store all the same.
    files: ['src/server/http/**/*.ts'],
    ignores: ['src/**/*.test.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        processEnvRestriction,
        { selector: "MemberExpression[property.name='store'][object.property.name='ctx']", message: storeThroughCtx },
        { selector: "MemberExpression[property.name='store'][object.name='ctx']", message: storeThroughCtx },
      ],
    },
  },
  forbid(
    ['src/cli/**/*.ts', 'src/sdk/**/*.ts', 'studio/src/**/*.ts', 'studio/src/**/*.tsx'],
    [[...layer('server'), '!**/server/version.js'], layer('store'), layer('providers')],
    'Clients (CLI, SDK, studio) talk to the API; they import no server, store or provider code.',
    [
      'src/cli/commands/server-command.ts',
      // Offline, server-side: copies a stopped server's SQLite store into PostgreSQL.
      'src/cli/commands/migrate-store-command.ts',
      'src/**/*.test.ts',
      'studio/**/*.test.ts',
    ],
  ),
  forbid(
    ['src/agent/**/*.ts', 'src/snapshots/**/*.ts'],
    [[...layer('server'), '!**/server/version.js'], layer('store'), layer('cli'), layer('providers')],
    'The agent runs on nodes: it imports no server, store, CLI or provider code.',
    ['src/**/*.test.ts'],
  ),
  forbid(
    ['src/providers/**/*.ts'],
    [layer('server'), layer('store'), layer('cli'), layer('agent')],
    'Providers know one backend and the domain, nothing of server, store, CLI or agent.',
    ['src/**/*.test.ts'],
  ),
  forbid(
    ['src/store/**/*.ts'],
    [layer('server'), layer('providers'), layer('cli'), layer('agent'), layer('sdk')],
    'The store knows the domain only.',
    ['src/**/*.test.ts'],
  ),
];
