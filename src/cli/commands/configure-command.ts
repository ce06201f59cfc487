import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { cliConfigPath, loadCliConfig } from '../../config/config.js';
import { action, UsageError } from '../cli-context.js';

/** `hangar configure --url URL [--token T] [--workspace W]`: where the CLI finds the server. */
export function registerConfigureCommand(program: Command): void {
  program
    .command('configure')
    .description('Save the server URL (and token, workspace) the CLI uses; HANGAR_URL still wins')
    .option('--url <url>', 'server URL, e.g. http://127.0.0.1:7733')
    .option('--token <token>', 'access token (once access control is on)')
    .option('-w, --workspace <name>', 'default workspace')
    .action(
      action(async (o: { url?: string; token?: string; workspace?: string }) => {
        if (o.url !== undefined && !/^https?:\/\/[^\s]+$/.test(o.url))
          throw new UsageError(`--url: '${o.url}' must be an http(s) URL`);
        const current = loadCliConfig();
        const next = {
          url: o.url ?? current.url,
          ...((o.token ?? current.token) ? { token: o.token ?? current.token } : {}),
          ...((o.workspace ?? current.workspace) ? { workspace: o.workspace ?? current.workspace } : {}),
        };
        const path = cliConfigPath();
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, JSON.stringify(next, null, 2), { mode: 0o600 });
        process.stdout.write(
          `Saved ${path}: server ${next.url}${next.workspace ? `, workspace ${next.workspace}` : ''}\n`,
        );
        return Promise.resolve();
      }),
    );
}
