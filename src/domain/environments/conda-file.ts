import { parse as parseYaml } from 'yaml';
import { HangarError } from '../errors/hangar-error.js';

/** What a conda file asks for. */
export interface CondaSpec {
  python?: string;
  condaPackages: string[];
  pipRequirements: string[];
}

/** Parses a conda environment file (`name, channels, dependencies` with an optional `pip:` list). */
export function parseCondaFile(text: string): CondaSpec {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new HangarError(
      'ValidationFailed',
      `conda_file: not valid YAML: ${(err as Error).message}`,
      'conda_file',
    );
  }
  const deps = (doc as { dependencies?: unknown } | null)?.dependencies ?? [];
  if (!Array.isArray(deps))
    throw new HangarError(
      'ValidationFailed',
      'conda_file: dependencies must be a list.',
      'conda_file.dependencies',
    );
  const spec: CondaSpec = { condaPackages: [], pipRequirements: [] };
  for (const d of deps) {
    if (typeof d === 'string') {
      const m = /^python(?:\s*[=<>!~]+\s*(.+))?$/.exec(d.trim());
      if (m) spec.python = m[1];
      else spec.condaPackages.push(d.trim());
    } else if (d && typeof d === 'object' && Array.isArray((d as { pip?: unknown }).pip)) {
      spec.pipRequirements.push(...(d as { pip: unknown[] }).pip.map(String));
    } else
      throw new HangarError(
        'ValidationFailed',
        `conda_file: dependency ${JSON.stringify(d)} is neither a package nor a pip list.`,
        'conda_file.dependencies',
      );
  }
  return spec;
}

const toolOnly = new Set(['pip', 'setuptools', 'wheel']);

/**
 * Pip requirement lines for a conda spec. Conda itself is not available here, so Hangar builds
 * conda files as a venv with pip: conda packages map to pip names (`numpy=1.21` → `numpy==1.21`,
 * `pkg>=1` kept), and the tools pip and venv provide are dropped.
 */
export function condaToPipRequirements(spec: CondaSpec): string[] {
  const fromConda = spec.condaPackages
    .map((p) => p.replace(/^[\w-]+::/, ''))
    .filter((p) => !toolOnly.has(p.split(/[=<>!~\s]/)[0] ?? ''))
    .map((p) =>
      (/^[\w.-]+=[^=]/.test(p) ? p.replace('=', '==') : p).replace(/^([\w.-]+)==([^=]+)=.*$/, '$1==$2'),
    );
  return [...fromConda, ...spec.pipRequirements];
}
