import { parse as parseYaml } from 'yaml';
import { HangarError } from '../errors/hangar-error.js';

/**
 * Applies az ml style `--set key.path=value` overrides to a parsed YAML document. Values are read
 * as YAML scalars (`limits.timeout=30` → 30); missing intermediate mappings are created.
 */
export function applySetOverrides(
  doc: Record<string, unknown>,
  sets: readonly string[],
): Record<string, unknown> {
  const out = structuredClone(doc);
  for (const set of sets) {
    const eq = set.indexOf('=');
    const path = eq > 0 ? set.slice(0, eq).trim() : '';
    if (!path || path.split('.').some((p) => p === ''))
      throw new HangarError('ValidationFailed', `--set '${set}': expected key.path=value.`, '--set');
    const raw = set.slice(eq + 1);
    let value: unknown;
    try {
      value = raw === '' ? '' : parseYaml(raw);
    } catch {
      value = raw;
    }
    const keys = path.split('.');
    let node: Record<string, unknown> = out;
    for (const key of keys.slice(0, -1)) {
      const next = node[key];
      if (next === undefined || next === null) node[key] = {};
      else if (typeof next !== 'object' || Array.isArray(next))
        throw new HangarError('ValidationFailed', `--set '${set}': '${key}' is not a mapping.`, '--set');
      node = node[key] as Record<string, unknown>;
    }
    node[keys[keys.length - 1] as string] = value;
  }
  return out;
}
