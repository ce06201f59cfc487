import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository (or installed package) this server runs from. */
const root = resolve(fileURLToPath(new URL('../../../', import.meta.url)));

/** A tarball of what `hangar agent` needs on another machine, and its content id. */
export interface AgentBundle {
  file: string;
  id: string;
}

let cached: AgentBundle | undefined;

/**
 * Packs the built CLI, the Python helper and the production dependencies into one .tgz (once per
 * server process, cached in `dir`). Its id is the content hash, so a machine with the same id
 * installed needs nothing, and a new build is an update.
 */
export function agentBundle(dir: string): AgentBundle {
  if (cached && existsSync(cached.file)) return cached;
  const deps = execFileSync('npm', ['ls', '--omit=dev', '--parseable', '--all'], {
    cwd: root,
    encoding: 'utf8',
  })
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && l !== root)
    .map((l) => relative(root, l));
  const entries = ['package.json', 'dist', 'python', ...deps];
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'agent-bundle.tgz');
  // Nodes do not serve the studio, so it stays out. gzip -n leaves out the time stamp: the same build gives the same bytes, hence the same id.
  execFileSync('bash', [
    '-c',
    'out="$1"; root="$2"; shift 2; tar -cf - --exclude=dist/studio -C "$root" "$@" | gzip -n -1 > "$out"',
    'bash',
    file,
    root,
    ...entries,
  ]);
  const id = createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 16);
  cached = { file, id };
  return cached;
}
