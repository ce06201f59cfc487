import type { Command } from 'commander';

/**
 * `hangar admin migrate-store --from <sqlite file or HANGAR_HOME> --to postgres://…`: copies a
 * stopped server's SQLite store into a new PostgreSQL database. Offline and server-side (it opens
 * both databases itself), so like `hangar server` it loads the store code only when it runs.
 */
export function registerMigrateStoreCommand(program: Command): void {
  const admin =
    program.commands.find((c) => c.name() === 'admin') ??
    program.command('admin').description('Server administration (needs a role at the server scope)');
  admin
    .command('migrate-store')
    .description(
      'Copy every record of a SQLite store (the server stopped) into a new, empty PostgreSQL database; then start the server with database.url',
    )
    .requiredOption('--from <path>', 'the SQLite database file, or the HANGAR_HOME that holds hangar.db')
    .requiredOption('--to <url>', 'postgres://user:password@host:port/database (created, empty)')
    .action(async (o: { from: string; to: string }) => {
      if (!/^postgres(ql)?:\/\/\S+$/.test(o.to)) {
        process.stderr.write(`hangar: --to: must be a postgres:// or postgresql:// URL\n`);
        process.exit(2);
      }
      // Loaded here, not at the top: other commands never load the store (SQLite, pg).
      const { copySqliteToPostgres } = await import('../../store/postgres/copy-store.js');
      const { redactUrl } = await import('../../store/postgres/pg-db.js');
      try {
        const report = await copySqliteToPostgres(o.from, o.to);
        for (const r of report) process.stdout.write(`${r.table.padEnd(18)} ${r.rows}\n`);
        const total = report.reduce((n, r) => n + r.rows, 0);
        process.stdout.write(
          `Copied ${total} rows into ${redactUrl(o.to)}. Start the server with HANGAR_DATABASE_URL (or database.url), the same secret.key, and storage.blobDir/logDir (or this HANGAR_HOME's blobs and jobs folders).\n`,
        );
      } catch (err) {
        process.stderr.write(`hangar: migrate-store: ${(err as Error).message}\n`);
        process.exit(1);
      }
    });
}
