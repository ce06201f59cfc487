import type { PathProbe } from './provider.js';

// How a provider asks a machine what its user finds at datastore paths: a constant script run as
// `sh -c SCRIPT sh PATHS…` (the paths arrive as positional parameters, never pasted into the text).

/** $@: absolute paths; prints one line per path: absent | unreadable | file|folder rw|ro (as the user running it). */
export const probePathsScript =
  'for p in "$@"; do if [ -d "$p" ]; then if [ -r "$p" ] && [ -x "$p" ]; then k=folder; else k=unreadable; fi; elif [ -e "$p" ]; then if [ -r "$p" ]; then k=file; else k=unreadable; fi; else k=absent; fi; if [ "$k" = folder ] || [ "$k" = file ]; then if [ -w "$p" ]; then k="$k rw"; else k="$k ro"; fi; fi; echo "$k"; done';

/** Parses probePathsScript's answer, one line per path asked. */
export function parsePathProbes(paths: string[], stdout: string): PathProbe[] {
  const lines = stdout.split('\n');
  return paths.map((path, i) => {
    const [kind = '', access = ''] = (lines[i] ?? '').trim().split(' ');
    if (kind === 'file' || kind === 'folder') return { path, kind, writable: access === 'rw' };
    return { path, kind: kind === 'unreadable' ? 'unreadable' : 'absent' };
  });
}
