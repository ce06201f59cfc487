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
  return Promise.resolve({
    env: {},
    pathPrefix: [],
    wrap: (command, cwd, env) => ({
      file: runtime,
      args: [
        'run',
        '--rm',
        ...extra,
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
