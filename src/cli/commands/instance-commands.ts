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
import { computeShape } from '../az-shape/compute-shape.js';
import { snakeDeep } from '../az-shape/snake-case.js';
import { printResult, type Column } from '../output.js';
import { vscodeLink } from '../../domain/instances/vscode-link.js';

type Shaped = Record<string, unknown>;
const skipColumns: Column<Shaped>[] = [
  { header: 'Schedule', value: (s) => s.schedule_id },
  { header: 'Skipped stop at', value: (s) => s.at },
];

const keyColumns: Column<Shaped>[] = [
  { header: 'Name', value: (k) => k.name },
  { header: 'Public key', value: (k) => k.public_key },
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
    .option(
      '--vscode',
      'print the VS Code Remote-SSH link (vscode://vscode-remote/ssh-remote+…) instead of running ssh',
    )
    .action(
      action(async (o: CommonFlags & { name?: string; privateKeyFilePath?: string; vscode?: boolean }) => {
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
        if (o.vscode) {
          const link = vscodeLink(props.connectionString);
          if (!link) throw new UsageError(`unexpected connection string '${props.connectionString}'`);
          process.stdout.write(`${link}\n`);
          return;
        }
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
        printResult(snakeDeep(await clientFor(o).computes.skipScheduledStop(o.name ?? '', o.scheduleId)), {
          ...o,
          tableColumns: skipColumns,
        }),
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
        printResult(computeShape(await clientFor(o).computes.enableSso(o.name ?? '', o.disable !== true)), o),
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
        printResult(snakeDeep(stored), { ...o, tableColumns: keyColumns });
      }),
    );
  withCommon(key.command('list').description('List stored SSH public keys')).action(
    action(async (o: CommonFlags) =>
      printResult(snakeDeep(await clientFor(o).computes.listSshKeys()), { ...o, tableColumns: keyColumns }),
    ),
  );
}
