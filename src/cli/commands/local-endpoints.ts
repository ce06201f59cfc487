import { spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inheritedEnv, resolveHome } from '../../config/config.js';
import { parseDeploymentSpec, parseEndpointSpec } from '../../domain/endpoints/endpoint-spec.js';
import { UsageError } from '../usage-error.js';

/**
 * `--local`, as az ml has it, without Docker: the deployment's scoring host runs on this machine
 * as a background process (one deployment per endpoint), recorded under HANGAR_HOME/local-endpoints.
 * No server is involved; the scoring host is the same program the serving pool runs.
 */
const scoringHost = fileURLToPath(new URL('../../../python/hangar_scoring_host.py', import.meta.url));
type Doc = Record<string, unknown>;

interface LocalDeployment {
  name: string;
  pid: number;
  port?: number;
  log: string;
  python: string;
}

const root = (): string => join(resolveHome(), 'local-endpoints');
const folder = (name: string): string => join(root(), name);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function readJson<T>(path: string): T | undefined {
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as T) : undefined;
}

function deploymentOf(name: string): LocalDeployment | undefined {
  return readJson<LocalDeployment>(join(folder(name), 'deployment.json'));
}

/** An endpoint as `list --local`/`show` print it. */
export function localEndpointShape(name: string): Doc {
  const d = deploymentOf(name);
  const running = d !== undefined && alive(d.pid);
  return {
    name,
    auth_mode: 'key',
    traffic: d ? { [d.name]: 100 } : {},
    scoring_uri: d?.port ? `http://127.0.0.1:${d.port}/score` : undefined,
    provisioning_state: d === undefined ? 'Succeeded' : running ? 'Succeeded' : 'Failed',
    location: 'local',
  };
}

export function localCreateEndpoint(doc: Doc): Doc {
  const spec = parseEndpointSpec(doc);
  mkdirSync(folder(spec.name), { recursive: true });
  writeFileSync(join(folder(spec.name), 'endpoint.json'), JSON.stringify(spec));
  return localEndpointShape(spec.name);
}

export function localListEndpoints(): Doc[] {
  if (!existsSync(root())) return [];
  return readdirSync(root())
    .filter((n) => existsSync(join(folder(n), 'endpoint.json')))
    .map(localEndpointShape);
}

function stopDeployment(endpoint: string): void {
  const d = deploymentOf(endpoint);
  if (d && alive(d.pid)) {
    try {
      process.kill(-d.pid, 'SIGTERM');
    } catch {
      // Gone meanwhile.
    }
  }
  rmSync(join(folder(endpoint), 'deployment.json'), { force: true });
}

export function localDeleteEndpoint(name: string): void {
  if (!existsSync(folder(name))) throw new UsageError(`--local: no local endpoint '${name}'`);
  stopDeployment(name);
  rmSync(folder(name), { recursive: true, force: true });
}

export function localDeleteDeployment(endpoint: string, name: string): void {
  const d = deploymentOf(endpoint);
  if (!d || d.name !== name)
    throw new UsageError(`--local: endpoint '${endpoint}' has no local deployment '${name}'`);
  stopDeployment(endpoint);
}

/** Starts the deployment's scoring host here; waits until it listens, or fails with its log (init() raised: exit 3). */
export async function localCreateDeployment(raw: Doc, base: string): Promise<Doc> {
  const spec = parseDeploymentSpec(raw);
  const local = (p: string, field: string): string => {
    if (/^(azureml:|https?:)/.test(p))
      throw new UsageError(`${field}: --local runs from local files; give a local path, not '${p}'`);
    const abs = isAbsolute(p) ? p : resolve(base, p);
    if (!existsSync(abs)) throw new UsageError(`${field}: '${p}' does not exist (resolved to ${abs})`);
    return abs;
  };
  const cc = spec.code_configuration;
  if (!cc) throw new UsageError('code_configuration: required');
  const code = local(cc.code, 'code_configuration.code');
  const script = join(code, cc.scoring_script);
  if (!existsSync(script))
    throw new UsageError(`code_configuration.scoring_script: '${cc.scoring_script}' is not in ${code}`);
  const model =
    spec.model === undefined
      ? undefined
      : local(typeof spec.model === 'string' ? spec.model : spec.model.path, 'model');
  const dir = folder(spec.endpoint_name);
  if (!existsSync(join(dir, 'endpoint.json'))) localCreateEndpoint({ name: spec.endpoint_name }); // az ml --local creates the endpoint when missing
  stopDeployment(spec.endpoint_name);
  const log = join(dir, 'inference-server.log');
  const portFile = join(dir, 'port');
  rmSync(portFile, { force: true });
  const fd = openSync(log, 'w');
  const python = 'python3';
  const env = inheritedEnv();
  const child = spawn(
    python,
    [
      scoringHost,
      '--entry-script',
      script,
      ...(model ? ['--model-dir', model] : []),
      '--port',
      '0',
      '--port-file',
      portFile,
    ],
    {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: {
        ...env,
        PYTHONUNBUFFERED: '1',
        WORKER_COUNT: String(spec.request_settings.max_concurrent_requests_per_instance),
        ...spec.environment_variables,
      },
    },
  );
  closeSync(fd);
  let exitCode: number | null | undefined;
  child.on('exit', (c) => (exitCode = c));
  child.on('error', () => (exitCode = 127));
  child.unref();
  for (;;) {
    if (exitCode !== undefined) {
      process.stderr.write(readFileSync(log, 'utf8'));
      throw new Error(
        `the local deployment '${spec.name}' exited with code ${exitCode}${exitCode === 3 ? ' (init() raised)' : ''}; its log is above`,
      );
    }
    if (existsSync(portFile)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const port = Number(readFileSync(portFile, 'utf8').trim());
  const record: LocalDeployment = { name: spec.name, pid: child.pid ?? 0, port, log, python };
  writeFileSync(join(dir, 'deployment.json'), JSON.stringify(record));
  return {
    name: spec.name,
    endpoint_name: spec.endpoint_name,
    provisioning_state: 'Succeeded',
    scoring_uri: `http://127.0.0.1:${port}/score`,
  };
}

export async function localInvoke(endpoint: string, body: string): Promise<string> {
  const d = deploymentOf(endpoint);
  if (!d?.port || !alive(d.pid))
    throw new UsageError(
      `--local: endpoint '${endpoint}' has no running local deployment (hangar online-deployment create --local)`,
    );
  const res = await fetch(`http://127.0.0.1:${d.port}/score`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${res.status} ${res.statusText}: ${text}`);
  return text;
}

export function localLogs(endpoint: string, lines: number): string {
  const d = deploymentOf(endpoint);
  if (!d) throw new UsageError(`--local: endpoint '${endpoint}' has no local deployment`);
  const all = readFileSync(d.log, 'utf8').split('\n');
  if (all[all.length - 1] === '') all.pop();
  return `${all.slice(-lines).join('\n')}\n`;
}
