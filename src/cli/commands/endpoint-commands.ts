import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { HangarClient } from '../../sdk/index.js';
import { action, clientFor, progress, UsageError, withCommon, type CommonOptions } from '../cli-context.js';
import { deploymentShape, deploymentYamlOf, endpointShape } from '../az-shape/endpoint-shape.js';
import { printResult, type Column } from '../output.js';
import { readAssetDoc, uploadLocal } from './asset-cli.js';
import {
  localCreateDeployment,
  localCreateEndpoint,
  localDeleteDeployment,
  localDeleteEndpoint,
  localInvoke,
  localListEndpoints,
  localLogs,
} from './local-endpoints.js';

type Doc = Record<string, unknown>;

interface EpFlags extends CommonOptions {
  file?: string;
  name?: string;
  endpointName?: string;
  set?: string[];
  authMode?: string;
  traffic?: string;
  mirrorTraffic?: string;
  local?: boolean;
  noWait?: boolean;
  allTraffic?: boolean;
  requestFile?: string;
  deploymentName?: string;
  keyType?: string;
  keyValue?: string;
  lines?: string;
  container?: string;
  yes?: boolean;
}

const enc = encodeURIComponent;
const epPath = (c: HangarClient, name: string): string =>
  `/api/workspaces/${enc(c.workspace)}/onlineEndpoints/${enc(name)}`;
const dPath = (c: HangarClient, ep: string, name: string): string =>
  `${epPath(c, ep)}/deployments/${enc(name)}`;

const endpointColumns: Column<Doc>[] = [
  { header: 'Name', value: (e) => e.name },
  { header: 'Auth', value: (e) => e.auth_mode },
  { header: 'State', value: (e) => e.provisioning_state },
  { header: 'Traffic', value: (e) => weightsText(e.traffic as Record<string, number> | undefined) },
  { header: 'Scoring URI', value: (e) => e.scoring_uri },
];
const deploymentColumns: Column<Doc>[] = [
  { header: 'Name', value: (d) => d.name },
  { header: 'Endpoint', value: (d) => d.endpoint_name },
  { header: 'State', value: (d) => d.provisioning_state },
  { header: 'Instances', value: (d) => d.instance_count },
  { header: 'Ready', value: (d) => (d.hangar as Doc | undefined)?.ready_replicas },
];

const weightsText = (w: Record<string, number> | undefined): string =>
  Object.entries(w ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');

/** `"blue=90 green=10"` (az ml's --traffic) as a mapping; every weight a whole percentage. */
export function parseWeights(text: string, flag: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const pair of text.split(/[\s,]+/).filter((p) => p !== '')) {
    const m = /^([^=]+)=(\d+)$/.exec(pair);
    if (!m) throw new UsageError(`${flag}: '${pair}' is not deployment=percent (e.g. "blue=90 green=10")`);
    out[m[1] ?? ''] = Number(m[2]);
  }
  return out;
}

function nameOf(o: EpFlags, doc: Doc = {}): string {
  const n = o.name ?? (typeof doc.name === 'string' ? doc.name : undefined);
  if (!n) throw new UsageError('--name/-n is required (or name: in the YAML)');
  return n;
}

function endpointOf(o: EpFlags, doc: Doc): string {
  const e = o.endpointName ?? (typeof doc.endpoint_name === 'string' ? doc.endpoint_name : undefined);
  if (!e) throw new UsageError('--endpoint-name/-e is required (or endpoint_name: in the YAML)');
  return e;
}

function refuseLocal(o: EpFlags, instead: string): void {
  if (o.local) throw new UsageError(`--local: not for this command; ${instead}`);
}

/** Uploads the local code folder and model of a deployment YAML; references pass through. */
async function uploadParts(client: HangarClient, doc: Doc, base: string): Promise<Doc> {
  const out = { ...doc };
  const cc = doc.code_configuration as Doc | undefined;
  if (cc && typeof cc.code === 'string' && !cc.code.startsWith('azureml:'))
    out.code_configuration = {
      ...cc,
      code: await uploadLocal(client, cc.code, base, 'code', 'code_configuration.code'),
    };
  const isRef = (s: string): boolean => /^(azureml:|https?:\/\/)/.test(s);
  if (typeof doc.model === 'string' && !isRef(doc.model))
    out.model = await uploadLocal(client, doc.model, base, 'model', 'model');
  else if (doc.model && typeof doc.model === 'object') {
    const m = doc.model as Doc;
    if (typeof m.path === 'string' && !isRef(m.path))
      out.model = { ...m, path: await uploadLocal(client, m.path, base, 'model', 'model.path') };
  }
  return out;
}

/** Waits until a deployment is Succeeded or Failed (az ml waits unless --no-wait); Failed throws with why. */
async function waitForDeployment(client: HangarClient, ep: string, name: string): Promise<Doc> {
  let last = '';
  for (;;) {
    const flat = deploymentShape(await client.http.request<Doc>('GET', dPath(client, ep, name)));
    const h = (flat.hangar ?? {}) as Doc;
    const line = `${String(flat.provisioning_state)}${h.reason ? `: ${String(h.reason)}` : ''}`;
    if (line !== last) progress(line);
    last = line;
    if (flat.provisioning_state === 'Succeeded') return flat;
    if (flat.provisioning_state === 'Failed') {
      if (h.log_tail)
        process.stderr.write(`--- last lines of the replica's log ---\n${String(h.log_tail)}\n`);
      throw new Error(
        `Deployment '${name}' failed: ${String(h.reason ?? 'see hangar online-deployment get-logs')}`,
      );
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** `hangar online-endpoint …` and `hangar online-deployment …` (az ml's verbs and flags). */
export function registerEndpointCommands(program: Command): void {
  const ep = program.command('online-endpoint').description('Online endpoints (az ml online-endpoint)');
  const out = (o: EpFlags, value: unknown, columns: Column<Doc>[]): void =>
    printResult<Doc>(value, {
      ...(o.output ? { output: o.output } : {}),
      ...(o.query ? { query: o.query } : {}),
      tableColumns: columns,
    });

  withCommon(ep.command('create').description('Create an online endpoint from YAML and/or flags'))
    .option('-f, --file <file>', 'endpoint YAML (managedOnlineEndpoint)')
    .option('-n, --name <name>', 'name')
    .option('--auth-mode <mode>', 'key (default) | aml_token')
    .option('-s, --set <pairs...>', 'override YAML fields, key.path=value')
    .option('--local', 'on this machine, without the server (HANGAR_HOME/local-endpoints)')
    .option('--no-wait', 'do not wait (creation is immediate in Hangar)')
    .action(
      action(async (o: EpFlags) => {
        const { doc } = readAssetDoc(o, { name: o.name, auth_mode: o.authMode });
        const name = nameOf(o, doc);
        if (o.local) return out(o, localCreateEndpoint({ ...doc, name }), endpointColumns);
        const client = clientFor(o);
        const r = await client.http.request<Doc>('PUT', `${epPath(client, name)}?mode=create`, {
          ...doc,
          name,
        });
        out(o, endpointShape(r), endpointColumns);
      }),
    );

  withCommon(ep.command('update').description('Update an endpoint: traffic, mirror traffic, or its YAML'))
    .option('-f, --file <file>', 'endpoint YAML')
    .option('-n, --name <name>', 'name')
    .option('-r, --traffic <weights>', 'traffic weights, e.g. "blue=90 green=10" (sum 0 or 100)')
    .option('--mirror-traffic <weights>', 'mirrored traffic, e.g. "green=10" (one deployment, at most 50)')
    .option('-s, --set <pairs...>', 'override YAML fields, key.path=value')
    .action(
      action(async (o: EpFlags) => {
        const client = clientFor(o);
        let r: Doc;
        if (o.file || o.set) {
          const { doc } = readAssetDoc(o, {});
          const name = nameOf(o, doc);
          const current = endpointShape(await client.http.request<Doc>('GET', epPath(client, name)));
          const merged: Doc = {
            name,
            auth_mode: current.auth_mode,
            traffic: current.traffic,
            mirror_traffic: current.mirror_traffic,
            ...(current.description ? { description: current.description } : {}),
            ...doc,
          };
          if (o.traffic) merged.traffic = parseWeights(o.traffic, '--traffic');
          if (o.mirrorTraffic) merged.mirror_traffic = parseWeights(o.mirrorTraffic, '--mirror-traffic');
          r = await client.http.request<Doc>('PUT', `${epPath(client, name)}?mode=update`, merged);
        } else {
          if (!o.traffic && !o.mirrorTraffic)
            throw new UsageError('give --traffic, --mirror-traffic, --file or --set');
          r = await client.http.request<Doc>('PATCH', epPath(client, nameOf(o)), {
            ...(o.traffic ? { traffic: parseWeights(o.traffic, '--traffic') } : {}),
            ...(o.mirrorTraffic ? { mirror_traffic: parseWeights(o.mirrorTraffic, '--mirror-traffic') } : {}),
          });
        }
        out(o, endpointShape(r), endpointColumns);
      }),
    );

  withCommon(ep.command('show').description('Show an endpoint (never its keys)'))
    .option('-n, --name <name>', 'name')
    .action(
      action(async (o: EpFlags) => {
        const client = clientFor(o);
        out(
          o,
          endpointShape(await client.http.request<Doc>('GET', epPath(client, nameOf(o)))),
          endpointColumns,
        );
      }),
    );

  withCommon(ep.command('list').description('List endpoints'))
    .option('--local', 'local endpoints (this machine)')
    .action(
      action(async (o: EpFlags) => {
        if (o.local) return out(o, localListEndpoints(), endpointColumns);
        const client = clientFor(o);
        const r = await client.http.request<{ value: Doc[] }>(
          'GET',
          `/api/workspaces/${enc(client.workspace)}/onlineEndpoints`,
        );
        out(o, r.value.map(endpointShape), endpointColumns);
      }),
    );

  withCommon(ep.command('delete').description('Delete an endpoint and its deployments'))
    .option('-n, --name <name>', 'name')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--no-wait', 'do not wait')
    .option('--local', 'a local endpoint (stops its scoring host)')
    .action(
      action(async (o: EpFlags) => {
        if (o.local) {
          localDeleteEndpoint(nameOf(o));
          return progress(`Deleted local endpoint '${nameOf(o)}'.`);
        }
        const client = clientFor(o);
        await client.http.request('DELETE', epPath(client, nameOf(o)));
        progress(`Deleted online endpoint '${nameOf(o)}'.`);
      }),
    );

  withCommon(
    ep.command('get-credentials').description("The endpoint's keys, or a token for aml_token endpoints"),
  )
    .option('-n, --name <name>', 'name')
    .action(
      action(async (o: EpFlags) => {
        const client = clientFor(o);
        const e = endpointShape(await client.http.request<Doc>('GET', epPath(client, nameOf(o))));
        const r =
          e.auth_mode === 'key'
            ? await client.http.request<Doc>('POST', `${epPath(client, nameOf(o))}/listKeys`)
            : await client.http.request<Doc>('POST', `${epPath(client, nameOf(o))}/token`);
        out(
          o,
          e.auth_mode === 'key'
            ? { primaryKey: r.primaryKey, secondaryKey: r.secondaryKey }
            : {
                accessToken: r.accessToken,
                expiryTimeUtc: r.expiryTimeUtc,
                refreshAfterTimeUtc: r.refreshAfterTimeUtc,
                tokenType: r.tokenType,
              },
          [],
        );
      }),
    );

  withCommon(ep.command('regenerate-keys').description('Regenerate the primary or secondary key'))
    .option('-n, --name <name>', 'name')
    .option('--key-type <type>', 'primary (default) | secondary')
    .option('--key-value <value>', 'the new key (default: a random one)')
    .action(
      action(async (o: EpFlags) => {
        const client = clientFor(o);
        const type = (o.keyType ?? 'primary').toLowerCase();
        if (type !== 'primary' && type !== 'secondary')
          throw new UsageError(`--key-type: primary or secondary; got '${o.keyType}'`);
        await client.http.request('POST', `${epPath(client, nameOf(o))}/regenerateKeys`, {
          keyType: type === 'primary' ? 'Primary' : 'Secondary',
          ...(o.keyValue ? { keyValue: o.keyValue } : {}),
        });
        progress(`Regenerated the ${type} key of '${nameOf(o)}'.`);
      }),
    );

  withCommon(ep.command('invoke').description('Send a request to the endpoint (by its key or token)'), {
    output: false,
  })
    .option('-n, --name <name>', 'name')
    .option('-r, --request-file <file>', 'the request body (JSON)')
    .option('-d, --deployment-name <name>', 'send to this deployment (azureml-model-deployment header)')
    .option('--local', 'a local endpoint (this machine)')
    .action(
      action(async (o: EpFlags) => {
        if (!o.requestFile) throw new UsageError('--request-file/-r is required');
        let body: string;
        try {
          body = readFileSync(o.requestFile, 'utf8');
        } catch (err) {
          throw new UsageError(`--request-file: cannot read '${o.requestFile}': ${(err as Error).message}`);
        }
        if (o.local) {
          process.stdout.write(`${JSON.stringify(await localInvoke(nameOf(o), body))}\n`);
          return;
        }
        const client = clientFor(o);
        const e = endpointShape(await client.http.request<Doc>('GET', epPath(client, nameOf(o))));
        const cred =
          e.auth_mode === 'key'
            ? String(
                (await client.http.request<Doc>('POST', `${epPath(client, nameOf(o))}/listKeys`)).primaryKey,
              )
            : String(
                (await client.http.request<Doc>('POST', `${epPath(client, nameOf(o))}/token`)).accessToken,
              );
        const res = await fetch(String(e.scoring_uri), {
          method: 'POST',
          headers: {
            authorization: `Bearer ${cred}`,
            'content-type': 'application/json',
            ...(o.deploymentName ? { 'azureml-model-deployment': o.deploymentName } : {}),
          },
          body,
        });
        const text = await res.text();
        if (!res.ok) {
          process.stderr.write(`ERROR: ${res.status} ${res.statusText}: ${text}\n`);
          process.exitCode = 1;
          return;
        }
        // az ml prints the answer as a JSON string.
        process.stdout.write(`${JSON.stringify(text)}\n`);
      }),
    );

  const dep = program
    .command('online-deployment')
    .description('Online deployments (az ml online-deployment)');
  const depOptions = (cmd: Command): Command =>
    cmd
      .option('-f, --file <file>', 'deployment YAML (managedOnlineDeployment)')
      .option('-n, --name <name>', 'name')
      .option('-e, --endpoint-name <name>', 'endpoint')
      .option('-s, --set <pairs...>', 'override YAML fields, key.path=value')
      .option(
        '--local',
        'run the scoring host on this machine, without the server (one deployment per endpoint)',
      )
      .option('--no-wait', 'do not wait for the deployment to be ready')
      .option('--skip-script-validation', 'accepted (Hangar checks the scoring script is in code)');

  const putDeployment = async (o: EpFlags, mode: 'create' | 'update'): Promise<void> => {
    const read = readAssetDoc(
      { ...(o.file ? { file: o.file } : {}) },
      { name: o.name, endpoint_name: o.endpointName },
    );
    let doc = read.doc;
    if (o.local) {
      const { doc: local } = readAssetDoc({ set: o.set ?? [] }, doc);
      const flat = await localCreateDeployment(local, read.base);
      return printResult<Doc>(flat, {
        ...(o.output ? { output: o.output } : {}),
        tableColumns: deploymentColumns,
      });
    }
    const client = clientFor(o);
    if (mode === 'update' && !o.file) {
      // No YAML: start from the deployment as it is, then --set.
      const current = deploymentShape(
        await client.http.request<Doc>('GET', dPath(client, endpointOf(o, doc), nameOf(o, doc))),
      );
      doc = deploymentYamlOf(current);
    }
    const { doc: withSet } = readAssetDoc({ set: o.set ?? [] }, doc);
    const name = nameOf(o, withSet);
    const endpoint = endpointOf(o, withSet);
    doc = await uploadParts(client, withSet, read.base);
    await client.http.request<Doc>('PUT', `${dPath(client, endpoint, name)}?mode=${mode}`, {
      ...doc,
      name,
      endpoint_name: endpoint,
    });
    let flat: Doc;
    if (o.noWait === true || (o as { wait?: boolean }).wait === false)
      flat = deploymentShape(await client.http.request<Doc>('GET', dPath(client, endpoint, name)));
    else flat = await waitForDeployment(client, endpoint, name);
    if (o.allTraffic) {
      await client.http.request('PATCH', epPath(client, endpoint), { traffic: { [name]: 100 } });
      progress(`All traffic of '${endpoint}' goes to '${name}'.`);
    }
    printResult<Doc>(flat, {
      ...(o.output ? { output: o.output } : {}),
      ...(o.query ? { query: o.query } : {}),
      tableColumns: deploymentColumns,
    });
  };

  withCommon(depOptions(dep.command('create').description('Create a deployment and wait until it is ready')))
    .option('--all-traffic', 'send all the endpoint traffic to it once ready')
    .action(action((o: EpFlags) => putDeployment(o, 'create')));
  withCommon(
    depOptions(
      dep
        .command('update')
        .description(
          'Update a deployment (YAML or --set); the old version serves until the new one is ready',
        ),
    ),
  ).action(action((o: EpFlags) => putDeployment(o, 'update')));

  withCommon(dep.command('show').description('Show a deployment'))
    .option('-n, --name <name>', 'name')
    .option('-e, --endpoint-name <name>', 'endpoint')
    .action(
      action(async (o: EpFlags) => {
        const client = clientFor(o);
        if (!o.endpointName) throw new UsageError('--endpoint-name/-e is required');
        const r = await client.http.request<Doc>('GET', dPath(client, o.endpointName, nameOf(o)));
        printResult<Doc>(deploymentShape(r), {
          ...(o.output ? { output: o.output } : {}),
          ...(o.query ? { query: o.query } : {}),
          tableColumns: deploymentColumns,
        });
      }),
    );

  withCommon(dep.command('list').description("List an endpoint's deployments"))
    .option('-e, --endpoint-name <name>', 'endpoint')
    .option('--local', 'local deployments (this machine)')
    .action(
      action(async (o: EpFlags) => {
        refuseLocal(o, 'list the local endpoints with `hangar online-endpoint list --local`');
        const client = clientFor(o);
        if (!o.endpointName) throw new UsageError('--endpoint-name/-e is required');
        const r = await client.http.request<{ value: Doc[] }>(
          'GET',
          `${epPath(client, o.endpointName)}/deployments`,
        );
        printResult<Doc>(r.value.map(deploymentShape), {
          ...(o.output ? { output: o.output } : {}),
          ...(o.query ? { query: o.query } : {}),
          tableColumns: deploymentColumns,
        });
      }),
    );

  withCommon(dep.command('delete').description('Delete a deployment that takes no traffic'))
    .option('-n, --name <name>', 'name')
    .option('-e, --endpoint-name <name>', 'endpoint')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--no-wait', 'do not wait')
    .option('--local', 'a local deployment (stops its scoring host)')
    .action(
      action(async (o: EpFlags) => {
        if (!o.endpointName) throw new UsageError('--endpoint-name/-e is required');
        if (o.local) {
          localDeleteDeployment(o.endpointName, nameOf(o));
          return progress(`Deleted local deployment '${nameOf(o)}'.`);
        }
        const client = clientFor(o);
        await client.http.request('DELETE', dPath(client, o.endpointName, nameOf(o)));
        progress(`Deleted online deployment '${nameOf(o)}'.`);
      }),
    );

  withCommon(dep.command('get-logs').description("A replica's log"), { output: false })
    .option('-n, --name <name>', 'name')
    .option('-e, --endpoint-name <name>', 'endpoint')
    .option('-l, --lines <n>', 'the last N lines (default 5000)')
    .option('-c, --container <name>', 'inference-server (default) | storage-initializer')
    .option('--local', 'a local deployment (this machine)')
    .action(
      action(async (o: EpFlags) => {
        if (!o.endpointName) throw new UsageError('--endpoint-name/-e is required');
        const lines = o.lines === undefined ? 5000 : Number(o.lines);
        if (!Number.isInteger(lines) || lines < 1)
          throw new UsageError(`--lines: a positive integer; got '${o.lines}'`);
        if (o.local) return void process.stdout.write(localLogs(o.endpointName, lines));
        const client = clientFor(o);
        const container = o.container ?? 'inference-server';
        if (container !== 'inference-server' && container !== 'storage-initializer')
          throw new UsageError(`--container: inference-server or storage-initializer; got '${container}'`);
        const r = await client.http.request<{ content: string }>(
          'POST',
          `${dPath(client, o.endpointName, nameOf(o))}/getLogs`,
          {
            tail: lines,
            containerType: container === 'inference-server' ? 'InferenceServer' : 'StorageInitializer',
          },
        );
        process.stdout.write(r.content.endsWith('\n') || r.content === '' ? r.content : `${r.content}\n`);
      }),
    );
}
