import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import {
  action,
  clientFor,
  UsageError,
  withCommon,
  type CommonOptions as CommonFlags,
} from '../cli-context.js';
import { print, type Column } from '../output.js';

const skipColumns: Column<{ scheduleId: string; at: string }>[] = [
  { header: 'Schedule', value: (s) => s.scheduleId },
  { header: 'Skipped stop at', value: (s) => s.at },
];

/** Splits `ssh -p PORT user@host` into ssh's arguments. */
export function sshArgs(connectionString: string, privateKeyFile?: string): string[] {
  const words = connectionString.trim().split(/\s+/);
  if (words[0] !== 'ssh') throw new UsageError(`unexpected connection string '${connectionString}'`);
  return [...(privateKeyFile ? ['-i', privateKeyFile] : []), ...words.slice(1)];
}

/** Instance verbs beyond az ml's: connect-ssh, skip-stop, update-idle-shutdown, enable-sso, ssh-key. */
export function registerInstanceCommands(compute: Command): void {
  withCommon(
    compute
      .command('connect-ssh')
      .description('Open an SSH session to a compute instance (runs your ssh client)'),
  )
    .requiredOption('-n, --name <name>', 'instance name')
    .option('--private-key-file-path <file>', 'private key to log in with')
    .action(
      action(async (o: CommonFlags & { name?: string; privateKeyFilePath?: string }) => {
        const compute = await clientFor(o).computes.get(o.name ?? '');
        const props = compute.properties.properties as {
          connectionString?: string | null;
          state?: string;
          sshSettings?: { sshPublicAccess?: string };
        };
        if (props.sshSettings?.sshPublicAccess !== 'Enabled')
          throw new UsageError(
            `SSH is not enabled on '${o.name ?? ''}' (it is fixed at creation: create with --ssh-public-access-enabled)`,
          );
        if (!props.connectionString)
          throw new UsageError(
            `'${o.name ?? ''}' has no SSH endpoint now (state ${props.state ?? 'unknown'}); start it first`,
          );
        const child = spawn('ssh', sshArgs(props.connectionString, o.privateKeyFilePath), {
          stdio: 'inherit',
        });
        process.exitCode = await new Promise<number>((resolve) =>
          child.on('exit', (code) => resolve(code ?? 1)),
        );
      }),
    );
  withCommon(
    compute
      .command('skip-stop')
      .description('Skip the next scheduled stop of a compute instance (later ones still apply)'),
  )
    .requiredOption('-n, --name <name>', 'instance name')
    .option('--schedule-id <id>', 'only this schedule (default: the soonest stop)')
    .action(
      action(async (o: CommonFlags & { name?: string; scheduleId?: string }) =>
        print(await clientFor(o).computes.skipScheduledStop(o.name ?? '', o.scheduleId), o, skipColumns),
      ),
    );
  withCommon(
    compute
      .command('enable-sso')
      .description('Turn single sign-on on (or off with --disable) for a compute instance'),
  )
    .requiredOption('-n, --name <name>', 'instance name')
    .option('--disable', 'turn it off')
    .action(
      action(async (o: CommonFlags & { name?: string; disable?: boolean }) =>
        print(await clientFor(o).computes.enableSso(o.name ?? '', o.disable !== true), o, []),
      ),
    );
  const key = compute.command('ssh-key').description('Stored SSH public keys for compute instances');
  withCommon(
    key
      .command('create')
      .description('Store a public key, or generate a key pair (the private key is shown once)'),
  )
    .requiredOption('-n, --name <name>', 'key name')
    .option('--ssh-key-value <key>', 'public key to store (default: generate a new pair)')
    .option('--private-key-file <file>', 'where to write a generated private key (0600); default: print it')
    .action(
      action(async (o: CommonFlags & { name?: string; sshKeyValue?: string; privateKeyFile?: string }) => {
        const stored = await clientFor(o).computes.createSshKey(o.name ?? '', o.sshKeyValue);
        if (stored.privateKey && o.privateKeyFile) {
          writeFileSync(o.privateKeyFile, stored.privateKey, { mode: 0o600 });
          process.stderr.write(`Private key written to ${o.privateKeyFile}; the server does not keep it.\n`);
          delete stored.privateKey;
        }
        print(stored, o, [
          { header: 'Name', value: (k) => k.name },
          { header: 'Public key', value: (k) => k.publicKey },
        ]);
      }),
    );
  withCommon(key.command('list').description('List stored SSH public keys')).action(
    action(async (o: CommonFlags) =>
      print(await clientFor(o).computes.listSshKeys(), o, [
        { header: 'Name', value: (k) => k.name },
        { header: 'Public key', value: (k) => k.publicKey },
      ]),
    ),
  );
}
