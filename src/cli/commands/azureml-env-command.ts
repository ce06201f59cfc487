import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { cliConfigPath, loadCliConfig } from '../../config/config.js';
import { shellQuote } from '../../domain/shell.js';
import { action, clientFor, UsageError } from '../cli-context.js';

const SYSTEM_CAS = '/etc/ssl/certs/ca-certificates.crt';

interface EnvOptions {
  workspace?: string;
  workspaceName?: string;
  subscription?: string;
  resourceGroup?: string;
  token?: boolean;
}

/**
 * `hangar azureml env`: the variables that point an unchanged Azure ML Python SDK v2 script at this
 * server (`eval "$(hangar azureml env)"`): the HTTPS base URL, a CA bundle that trusts the server,
 * and the managed-identity endpoint that turns the signed-in user's credential into access tokens.
 */
export function registerAzuremlEnvCommand(program: Command): void {
  const group = program.command('azureml').description('Use the Azure ML Python SDK v2 with this server');
  group
    .command('env')
    .description('Print the `export` lines for MLClient(DefaultAzureCredential(), sub, rg, workspace)')
    .option('-w, --workspace-name <name>', 'workspace the script names (checked here)')
    .option('--workspace <name>', 'same as --workspace-name')
    .option('-s, --subscription <id>', 'subscription id the script passes (any; shown in the hint)', 'hangar')
    .option(
      '-g, --resource-group <name>',
      'resource group the script passes (any; shown in the hint)',
      'hangar',
    )
    .option(
      '--token',
      'also print HANGAR_ACCESS_TOKEN: an access token for scripts that build their own credential',
    )
    .action(
      action(async (o: EnvOptions) => {
        const cli = loadCliConfig();
        if (!cli.token)
          throw new UsageError('no credential: sign in first (`hangar login -u NAME`) or set HANGAR_TOKEN');
        const client = clientFor(o);
        const info = await client.http.request<{ httpsUrl: string; caPem: string }>(
          'GET',
          '/api/azureml/connection',
        );
        // The workspace must exist: the script's MLClient names it and every call would fail otherwise.
        await client.workspaces.get(client.workspace);
        const bundle = join(dirname(cliConfigPath()), 'azureml-ca-bundle.pem');
        const system = existsSync(SYSTEM_CAS) ? readFileSync(SYSTEM_CAS, 'utf8').trimEnd() : '';
        mkdirSync(dirname(bundle), { recursive: true });
        writeFileSync(bundle, `${system}\n${info.caPem.trim()}\n`, { mode: 0o644 });
        const vars: [string, string][] = [
          ['AZUREML_DEV_URL_MFE', info.httpsUrl],
          ['REQUESTS_CA_BUNDLE', bundle],
          ['IDENTITY_ENDPOINT', `${info.httpsUrl}/msi/token`],
          ['IDENTITY_HEADER', cli.token],
        ];
        if (o.token) {
          const minted = await client.http.request<{ access_token: string }>(
            'GET',
            `/msi/token?resource=${encodeURIComponent('https://management.azure.com')}`,
          );
          vars.push(['HANGAR_ACCESS_TOKEN', minted.access_token]);
        }
        const lines = vars.map(([k, v]) => `export ${k}=${shellQuote(v)}`);
        lines.push(
          `# MLClient(DefaultAzureCredential(), ${JSON.stringify(o.subscription ?? 'hangar')}, ${JSON.stringify(o.resourceGroup ?? 'hangar')}, ${JSON.stringify(client.workspace)})`,
        );
        process.stdout.write(`${lines.join('\n')}\n`);
      }),
    );
}
