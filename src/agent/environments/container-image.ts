import type { EnvironmentContext, PreparedEnvironment } from './prepare-environment.js';

/** Runs the command in a container of `image` with the code folder mounted at /workspace. */
export function containerWrap(image: string, ctx: EnvironmentContext): Promise<PreparedEnvironment> {
  const runtime = ctx.containerRuntime;
  if (!runtime) {
    return Promise.reject(
      new Error(
        `node ${ctx.hostname} has no container runtime (podman or docker) to run image ${image}; install podman on the node, or ask the operator for an environment alias (environmentAliases in config.yaml) that maps ${image} to a local Python`,
      ),
    );
  }
  ctx.log(`container environment: ${runtime} run ${image}`);
  // Flags measured on these machines: runc runtime, bounded ulimits, no network namespace setup.
  const extra =
    runtime === 'podman'
      ? [
          '--runtime',
          'runc',
          '--ulimit',
          'nofile=1024:1024',
          '--ulimit',
          'nproc=4096:4096',
          '--network',
          'none',
        ]
      : [];
  const gpus = containerGpuFlags(runtime, ctx.gpus);
  if (gpus.length > 0) ctx.log(`container GPUs: ${gpus.join(' ')}`);
  return Promise.resolve({
    env: {},
    pathPrefix: [],
    wrap: (command, cwd, env) => ({
      file: runtime,
      args: [
        'run',
        '--rm',
        ...extra,
        ...gpus,
        ...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
        '-v',
        `${cwd}:/workspace`,
        '-w',
        '/workspace',
        image,
        'bash',
        '-c',
        command,
      ],
    }),
  });
}

/**
 * The node's GPUs for the container: podman through CDI (`nvidia-ctk cdi generate`), docker
 * through its NVIDIA runtime, whose --gpus value is a CSV field (the quotes keep `device=0,1` whole).
 */
export function containerGpuFlags(
  runtime: 'podman' | 'docker',
  gpus: readonly number[] | undefined,
): string[] {
  if (!gpus || gpus.length === 0) return [];
  if (runtime === 'podman') return gpus.flatMap((g) => ['--device', `nvidia.com/gpu=${g}`]);
  return ['--gpus', `"device=${gpus.join(',')}"`];
}
