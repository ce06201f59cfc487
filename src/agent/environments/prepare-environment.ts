import type { EnvironmentDefinition } from '../../domain/nodes/agent-protocol.js';
import { containerWrap } from './container-image.js';
import { pipVenv } from './pip-venv.js';
import { userManaged } from './user-managed.js';

/** How a job process runs in an environment. */
export interface PreparedEnvironment {
  env: Record<string, string>;
  /** Folders put first on PATH. */
  pathPrefix: string[];
  /** Runs the command another way (inside a container). */
  wrap?: (command: string, cwd: string, env: Record<string, string>) => { file: string; args: string[] };
}

/** What environment preparation may use on this node. */
export interface EnvironmentContext {
  workDir: string;
  hostname: string;
  defaultPython: string;
  containerRuntime: 'podman' | 'docker' | null;
  /** The node's GPUs (host indices) a container is given; absent: none are passed. */
  gpus?: number[];
  pipFindLinks?: string;
  pipIndexUrl?: string;
  /**
   * How a build step (venv, pip) runs: like a job, in the sandbox as the job user with a minimal
   * environment, allowed to write only `dir`. Requirements are the job's input: pip must not read
   * the agent's files (`-r /path`) nor run a package's setup code with the agent's rights.
   */
  isolate?: (
    file: string,
    args: string[],
    dir: string,
  ) => { file: string; args: string[]; env: Record<string, string> };
  /** Appends to the attempt's system log. */
  log: (line: string) => void;
}

/**
 * Prepares an environment on this node: user-managed (the node's interpreter), pip/conda (a venv
 * built once per node per spec hash and reused), or a container image (needs podman or docker).
 */
export async function prepareEnvironment(
  def: EnvironmentDefinition,
  ctx: EnvironmentContext,
): Promise<PreparedEnvironment> {
  switch (def.kind) {
    case 'user-managed':
      return userManaged(def.python ?? ctx.defaultPython, ctx);
    case 'pip':
      return pipVenv(def.requirements.split('\n'), ctx);
    case 'conda': {
      // The YAML parser loads with the first conda environment, not with every agent.
      const { condaToPipRequirements, parseCondaFile } =
        await import('../../domain/environments/conda-file.js');
      const spec = parseCondaFile(def.condaFile);
      ctx.log(
        `conda is not available on nodes: building the conda file as a venv with pip on ${ctx.defaultPython}${spec.python ? ` (the file asks for python ${spec.python})` : ''}`,
      );
      return pipVenv(condaToPipRequirements(spec), ctx);
    }
    case 'image':
      return containerWrap(def.image, ctx);
  }
}
