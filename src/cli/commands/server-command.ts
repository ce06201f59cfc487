import type { Command } from 'commander';
import { setFlagsFromString } from 'node:v8';
import { ConfigError, loadConfig } from '../../config/config.js';
import { HOME_NOT_WRITABLE_EXIT, startupStorageFailure } from '../../server/home-check.js';

/** `hangar server [--port N] [--home DIR] [--host H] [--config FILE]`. */
export function registerServerCommand(program: Command): void {
  program
    .command('server')
    .description('Run the Hangar server (API, store and reconcile loops) on the embedded default')
    .option('--port <port>', 'HTTP port (default 7733; 0 picks a free one)', (v) => Number(v))
    .option('--host <host>', 'address to listen on (default 127.0.0.1)')
    .option('--home <dir>', 'data folder (default $HANGAR_HOME or ~/.hangar)')
    .option('--config <file>', 'config file (default HOME/config.yaml)')
    .option(
      '--insecure-local',
      'single-user laptop: calls without credentials act as the admin (loopback only; logged loudly)',
    )
    .action(
      async (opts: {
        port?: number;
        host?: string;
        home?: string;
        config?: string;
        insecureLocal?: boolean;
      }) => {
        let config;
        try {
          config = loadConfig(opts);
        } catch (err) {
          if (err instanceof ConfigError) {
            process.stderr.write(`${err.message}\n`);
            process.exit(2);
          }
          throw err;
        }
        // Read by V8 at each full collection, so setting it now (the heap is still small) takes effect.
        if (config.heapGrowthPercent > 0)
          setFlagsFromString(`--heap-growing-percent=${config.heapGrowthPercent}`);
        // Loaded here, not at the top: other commands (and remote agents) never load the server (Hono, SQLite, ssh2).
        const { startServer } = await import('../../server/hangar-server.js');
        let server;
        try {
          server = await startServer(config);
        } catch (err) {
          // A read-only, foreign or full data folder is said in one line (path, error), with its own exit code.
          const line = startupStorageFailure(err, config.home);
          if (!line) throw err;
          process.stderr.write(`hangar: ${line}\n`);
          process.exit(HOME_NOT_WRITABLE_EXIT);
        }
        process.stdout.write(`Hangar server listening on ${server.url} (home ${config.home})\n`);
        const stop = (): void => {
          server.close().then(
            () => process.exit(0),
            () => process.exit(1),
          );
        };
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      },
    );
}
