import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { delimiter, join } from 'node:path';
import type { NodeCapacity } from '../domain/nodes/agent-protocol.js';

/** Finds an executable on PATH. */
export function which(name: string, path: string | undefined): string | undefined {
  for (const dir of (path ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** Parses `nvidia-smi --query-gpu=index,name,memory.total --format=csv,noheader,nounits`. */
export function parseNvidiaSmi(text: string): NodeCapacity['gpus'] {
  return text
    .split('\n')
    .map((l) => l.split(',').map((s) => s.trim()))
    .filter((p) => p.length >= 3 && p[0] !== '')
    .map(([index, name, mem]) => ({ index: Number(index), name: name ?? '', memoryMB: Number(mem) }));
}

function gpus(path: string | undefined): NodeCapacity['gpus'] {
  const smi = which('nvidia-smi', path);
  if (!smi) return [];
  try {
    return parseNvidiaSmi(
      execFileSync(smi, ['--query-gpu=index,name,memory.total', '--format=csv,noheader,nounits'], {
        encoding: 'utf8',
        timeout: 10_000,
      }),
    );
  } catch {
    return [];
  }
}

/** A container runtime that can actually run containers (a docker CLI without its daemon does not count). */
function containerRuntime(path: string | undefined): NodeCapacity['containerRuntime'] {
  if (which('podman', path)) return 'podman';
  const docker = which('docker', path);
  if (!docker) return null;
  try {
    execFileSync(docker, ['info'], { stdio: 'ignore', timeout: 5000 });
    return 'docker';
  } catch {
    return null;
  }
}

/** What this machine offers: cores, memory, GPUs, container runtime, default interpreter. */
export function detectCapacity(path: string | undefined, python?: string): NodeCapacity {
  const runtime = containerRuntime(path);
  // Debian's interpreter sees Debian's Python packages (python3-sklearn…); a pyenv python3 on PATH does not.
  const defaultPython =
    python ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : (which('python3', path) ?? 'python3'));
  return {
    cores: cpus().length,
    memoryMB: Math.round(totalmem() / 1024 / 1024),
    gpus: gpus(path),
    containerRuntime: runtime,
    defaultPython,
  };
}
