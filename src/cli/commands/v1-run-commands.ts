import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, isAbsolute, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import type { JobResource } from '../../domain/jobs/job-view.js';
import { commandLine } from '../../domain/shell.js';
import type { HangarClient } from '../../sdk/index.js';
import { buildSnapshot } from '../../snapshots/snapshot-builder.js';
import { action, clientFor, progress, UsageError } from '../cli-context.js';
import { print } from '../output.js';
import { streamJob } from './job-commands.js';
import { uploadJob } from './job-submit.js';
import { runLocally } from './local-run.js';

/**
 * The az ml v1 (`azure-cli-ml`) verbs Azure ML's older documentation still shows, `run
 * submit-script` and `folder attach`, as thin layers over the v2 job API; and what every v1
 * command shares: v1's workspace flags and the folder defaults `folder attach` writes.
 */

/** Flags every v1 command accepts, as v1 named them. */
export interface V1Options {
  workspaceName?: string;
  resourceGroup?: string;
  subscriptionId?: string;
  path?: string;
  v?: boolean;
  output?: string;
  query?: string;
}

/** What `hangar folder attach` writes to `<folder>/.azureml/config.json`. */
export interface FolderConfig {
  workspace_name?: string;
  experiment_name?: string;
  compute_target?: string;
}

const folderConfigFile = (path: string): string => join(path, '.azureml', 'config.json');

/** The defaults a folder was attached with (`.azureml/config.json`); none when it was not attached. */
export function readFolderConfig(path = '.'): FolderConfig {
  const file = folderConfigFile(path);
  if (!existsSync(file)) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`${file}: not JSON (${(err as Error).message}); run \`hangar folder attach\` again`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new UsageError(`${file}: must be a JSON object; run \`hangar folder attach\` again`);
  const str = (k: keyof FolderConfig): string | undefined => {
    const v = (parsed as Record<string, unknown>)[k];
    return typeof v === 'string' && v !== '' ? v : undefined;
  };
  const workspace = str('workspace_name');
  const experiment = str('experiment_name');
  const compute = str('compute_target');
  return {
    ...(workspace ? { workspace_name: workspace } : {}),
    ...(experiment ? { experiment_name: experiment } : {}),
    ...(compute ? { compute_target: compute } : {}),
  };
}

/** Adds v1's workspace flags (`-w/--workspace-name`, `-g`, `--subscription-id`, `--path`) and az's `-o/--query`. */
export function v1Options(cmd: Command, output = true): Command {
  cmd
    .option(
      '-w, --workspace-name <name>',
      "workspace (default: the folder's .azureml/config.json, then `hangar configure`, then default)",
    )
    .option('-g, --resource-group <name>', 'accepted for v1 scripts; Hangar has no resource groups')
    .option('--subscription-id <id>', 'accepted for v1 scripts; Hangar has no subscriptions')
    .option('--subscription <id>', 'accepted as az takes it; Hangar has no subscriptions')
    .option('--debug', 'accepted as az takes it')
    .option('--verbose', 'accepted as az takes it')
    .option('--only-show-errors', 'accepted as az takes it')
    .option(
      '--path <folder>',
      'project folder whose .azureml/config.json (`hangar folder attach`) gives the defaults',
      '.',
    );
  if (output)
    cmd
      .option('-o, --output <format>', 'json | jsonc | yaml | yamlc | table | tsv | none', 'json')
      .option('--query <jmespath>', 'JMESPath query over the output');
  return cmd;
}

/** The SDK client of a v1 command: `-w/--workspace-name`, else the attached folder's workspace, else the CLI settings. */
export function v1Client(o: V1Options): HangarClient {
  const workspace = o.workspaceName ?? readFolderConfig(o.path).workspace_name;
  return clientFor(workspace ? { workspace } : {});
}

interface FolderAttachFlags extends V1Options {
  experimentName?: string;
  /** `--target` / `--ct` (commander names it after the last long flag). */
  ct?: string;
}

/** `hangar folder attach`: the folder's workspace, default experiment and (Hangar's addition) default compute. */
async function attachFolder(o: FolderAttachFlags): Promise<void> {
  const path = resolve(o.path ?? '.');
  if (existsSync(path) && !statSync(path).isDirectory())
    throw new UsageError(`--path: '${path}' is not a folder`);
  const client = v1Client(o);
  // The server answers for what the defaults name: the workspace, and the compute when one is given.
  const workspace = await client.workspaces.get(client.workspace);
  if (o.ct) await client.computes.get(o.ct);
  const experiment = o.experimentName ?? basename(path);
  mkdirSync(join(path, '.azureml'), { recursive: true });
  const config: FolderConfig = {
    workspace_name: workspace.name,
    experiment_name: experiment,
    ...(o.ct ? { compute_target: o.ct } : {}),
  };
  writeFileSync(folderConfigFile(path), `${JSON.stringify(config, null, 2)}\n`);
  // v1 also wrote example run configurations; the one every machine can honor is the local target.
  const local = join(path, '.azureml', 'local.runconfig');
  if (!existsSync(local))
    writeFileSync(
      local,
      '# Written by `hangar folder attach`: run on this machine (`hangar run submit-script -c local SCRIPT`).\ntarget: local\narguments: []\n',
    );
  print(
    {
      'Experiment name': experiment,
      'Project path': path,
      'Resource group': o.resourceGroup ?? null,
      'Subscription id': o.subscriptionId ?? null,
      'Workspace name': workspace.name,
    },
    o,
    [],
  );
}

/** The part of a v1 run configuration (`.azureml/NAME.runconfig`, YAML) Hangar honors. */
interface RunConfiguration {
  script?: string;
  arguments: string[];
  target?: string;
  nodeCount?: number;
  maxRunDurationSeconds?: number;
  environmentVariables: Record<string, string>;
  interpreterPath?: string;
  condaDependenciesFile?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads `.azureml/NAME.runconfig` (or `NAME` when it is a path), naming the file and field that is wrong. */
export function readRunConfiguration(path: string, name: string): RunConfiguration {
  const candidates = [
    join(path, '.azureml', `${name}.runconfig`),
    join(path, 'aml_config', `${name}.runconfig`),
    isAbsolute(name) ? name : join(path, name),
  ];
  const file = candidates.find((f) => existsSync(f) && statSync(f).isFile());
  if (!file)
    throw new UsageError(
      `-c/--run-configuration-name: no run configuration '${name}' (looked for ${candidates.slice(0, 2).join(', ')}); \`hangar folder attach\` writes local.runconfig`,
    );
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`${file}: invalid YAML: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined) doc = {};
  if (!isObject(doc)) throw new UsageError(`${file}: must be a mapping of run configuration fields`);
  const bad = (field: string, rule: string, value: unknown): never => {
    throw new UsageError(`${file}: ${field} ${rule}; got ${JSON.stringify(value)}`);
  };
  const rc: RunConfiguration = { arguments: [], environmentVariables: {} };
  if (doc.script !== undefined && doc.script !== null)
    rc.script =
      typeof doc.script === 'string' ? doc.script : bad('script', 'must be a file name', doc.script);
  if (doc.arguments !== undefined && doc.arguments !== null)
    rc.arguments = Array.isArray(doc.arguments)
      ? doc.arguments.map(String)
      : bad('arguments', 'must be a list', doc.arguments);
  if (doc.target !== undefined && doc.target !== null)
    rc.target =
      typeof doc.target === 'string' ? doc.target : bad('target', 'must be a compute name', doc.target);
  if (doc.nodeCount !== undefined && doc.nodeCount !== null)
    rc.nodeCount =
      Number.isInteger(doc.nodeCount) && Number(doc.nodeCount) >= 1
        ? Number(doc.nodeCount)
        : bad('nodeCount', 'must be a whole number ≥ 1', doc.nodeCount);
  if (doc.maxRunDurationSeconds !== undefined && doc.maxRunDurationSeconds !== null) {
    rc.maxRunDurationSeconds =
      Number.isInteger(doc.maxRunDurationSeconds) && Number(doc.maxRunDurationSeconds) > 0
        ? Number(doc.maxRunDurationSeconds)
        : bad('maxRunDurationSeconds', 'must be a whole number of seconds > 0', doc.maxRunDurationSeconds);
  }
  const env = doc.environment;
  if (isObject(env)) {
    if (isObject(env.environmentVariables))
      rc.environmentVariables = Object.fromEntries(
        Object.entries(env.environmentVariables).map(([k, v]) => [k, String(v)]),
      );
    const python = env.python;
    if (isObject(python)) {
      if (
        python.userManagedDependencies === true &&
        typeof python.interpreterPath === 'string' &&
        python.interpreterPath !== ''
      )
        rc.interpreterPath = python.interpreterPath;
      if (
        python.userManagedDependencies !== true &&
        typeof python.condaDependenciesFile === 'string' &&
        python.condaDependenciesFile !== ''
      )
        rc.condaDependenciesFile = python.condaDependenciesFile;
    }
  }
  return rc;
}

interface SubmitScriptFlags extends V1Options {
  runConfigurationName?: string;
  experimentName?: string;
  /** `--target` / `--ct`. */
  ct?: string;
  sourceDirectory?: string;
  async?: boolean;
  condaDependencies?: string;
  outputMetadataFile?: string;
}

function readText(path: string, flag: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`${flag}: cannot read ${path}: ${(err as Error).message}`);
  }
}

/**
 * The v2 command job a v1 `run submit-script` stands for: `python SCRIPT ARGS` over the source
 * folder, on the target (`--target`, else the run configuration's, else the attached folder's,
 * else `local`), in the experiment (`-e`, else the attached folder's, else the server's default).
 */
export function submitScriptSpec(
  o: SubmitScriptFlags,
  scriptAndArgs: string[],
): { spec: Record<string, unknown>; sourceDir: string } {
  const path = resolve(o.path ?? '.');
  const folder = readFolderConfig(path);
  const none: RunConfiguration = { arguments: [], environmentVariables: {} };
  const rc = o.runConfigurationName ? readRunConfiguration(path, o.runConfigurationName) : none;
  const [scriptArg, ...args] = scriptAndArgs;
  const script = scriptArg ?? rc.script;
  if (!script)
    throw new UsageError(
      'submit-script: give the script to run (`hangar run submit-script train.py ARGS`) or set `script` in the run configuration (-c)',
    );
  const sourceDir = resolve(path, o.sourceDirectory ?? '.');
  if (!existsSync(sourceDir) || !statSync(sourceDir).isDirectory())
    throw new UsageError(`--source-directory: '${sourceDir}' is not a folder`);
  // As v1: arguments on the command line replace the run configuration's; none given keeps them.
  const scriptArgs = args.length > 0 ? args : rc.arguments;
  const spec: Record<string, unknown> = {
    type: 'command',
    code: sourceDir,
    command: commandLine([rc.interpreterPath ?? 'python', script, ...scriptArgs]),
    compute: o.ct ?? rc.target ?? folder.compute_target ?? 'local',
  };
  const experiment = o.experimentName ?? folder.experiment_name;
  if (experiment) spec.experiment_name = experiment;
  if (Object.keys(rc.environmentVariables).length > 0) spec.environment_variables = rc.environmentVariables;
  if (rc.nodeCount && rc.nodeCount > 1) spec.resources = { instance_count: rc.nodeCount };
  if (rc.maxRunDurationSeconds) spec.limits = { timeout: rc.maxRunDurationSeconds };
  const conda = o.condaDependencies
    ? readText(resolve(o.condaDependencies), '-d/--conda-dependencies')
    : rc.condaDependenciesFile
      ? readText(
          resolve(path, rc.condaDependenciesFile),
          `${o.runConfigurationName ?? ''}.runconfig environment.python.condaDependenciesFile`,
        )
      : undefined;
  if (conda !== undefined) spec.environment = { conda_file: conda };
  return { spec, sourceDir };
}

/** What v1 printed for a run (its run record, camelCase as the service returned it). */
export function v1Run(job: JobResource): Record<string, unknown> {
  const p = job.properties;
  return {
    runId: job.name,
    runType: 'azureml.scriptrun',
    status: p.status,
    target: p.computeId,
    startTimeUtc: p.startTime ?? null,
    endTimeUtc: p.endTime ?? null,
    ...(p.error ? { error: p.error } : {}),
    _experiment_name: p.experimentName,
  };
}

async function submitScript(scriptAndArgs: string[], o: SubmitScriptFlags): Promise<void> {
  const { spec, sourceDir } = submitScriptSpec(o, scriptAndArgs);
  const client = v1Client(o);
  const built = await buildSnapshot(sourceDir);
  const { localAgentToken, ...created } = await client.jobs.create(
    await uploadJob(client, { spec, code: { dir: sourceDir, built }, inputs: [] }),
  );
  progress(
    `Submitted ${created.name} to ${String(created.properties.computeId)} (experiment ${String(created.properties.experimentName)})`,
  );
  let status = String(created.properties.status);
  if (localAgentToken) {
    if (o.async)
      progress('--async: the local target runs inside this command, so it follows the run to its end');
    status = await runLocally(client, created.name, localAgentToken, (name) => streamJob(client, name));
  } else if (!o.async) status = await streamJob(client, created.name);
  const run = v1Run(await client.jobs.get(created.name));
  if (o.outputMetadataFile) writeFileSync(o.outputMetadataFile, `${JSON.stringify(run, null, 4)}\n`);
  print(run, o, []);
  if ((localAgentToken || !o.async) && status !== 'Completed') process.exitCode = 1;
}

/** `hangar run submit-script` and `hangar folder attach`: v1's way to run a script on a compute target. */
export function registerV1RunCommands(program: Command): void {
  // Everything after the script belongs to the script (v1's argparse REMAINDER): that needs
  // positional options on the parents, so `hangar`'s own -V/-h count only before a subcommand.
  program.enablePositionalOptions();
  const run = program
    .command('run')
    .enablePositionalOptions()
    .description('az ml v1 run commands (submit-script); `hangar job` is the v2 way');
  v1Options(
    run
      .command('submit-script')
      .description('Submit a script as a command job: python SCRIPT ARGS on a compute target (v1)'),
  )
    .argument('[script_and_arguments...]', 'the script and its arguments')
    .option(
      '-c, --run-configuration-name <name>',
      'a run configuration: .azureml/NAME.runconfig (script, arguments, target, environment)',
    )
    .option(
      '-e, --experiment-name <name>',
      "experiment (default: the attached folder's, else the server's Default)",
    )
    .option(
      '--target, --ct <compute>',
      "compute target (default: the run configuration's, else the attached folder's, else local)",
    )
    .option('--source-directory <folder>', 'folder uploaded as the code (default: --path)')
    .option('--async', 'return once submitted instead of following the run')
    .option('-d, --conda-dependencies <file>', 'conda environment file for the run')
    .option('-t, --output-metadata-file <file>', 'also write the run record as JSON to this file')
    .passThroughOptions()
    .action(action((scriptAndArgs: string[], o: SubmitScriptFlags) => submitScript(scriptAndArgs, o)));
  const folder = program.command('folder').description('az ml v1 folder commands');
  v1Options(
    folder
      .command('attach')
      .description(
        'Attach a folder to a workspace: its default experiment (and compute) for v1 commands run there (.azureml/config.json)',
      ),
  )
    .option('-e, --experiment-name <name>', 'default experiment (default: the folder name)')
    .option(
      '--target, --ct <compute>',
      'default compute target of `run submit-script` here (Hangar; v1 kept it in run configurations)',
    )
    .action(action((o: FolderAttachFlags) => attachFolder(o)));
}
