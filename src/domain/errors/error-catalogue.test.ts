import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorCatalogue } from './error-catalogue.js';

/** Rows `| \`Code\` | status | description |` of docs/errors.md. */
function documentedCodes(): Map<string, { status: number; description: string }> {
  const doc = readFileSync(join(import.meta.dirname, '..', '..', '..', 'docs', 'errors.md'), 'utf8');
  const rows = new Map<string, { status: number; description: string }>();
  for (const m of doc.matchAll(/^\| `(\w+)` \| (\d{3}) \| (.+) \|$/gm))
    rows.set(m[1] ?? '', { status: Number(m[2]), description: m[3] ?? '' });
  return rows;
}

describe('error catalogue', () => {
  it('docs/errors.md lists every code with its status and description, and no other code', () => {
    const documented = documentedCodes();
    expect([...documented.keys()].sort()).toEqual(Object.keys(errorCatalogue).sort());
    for (const [code, entry] of Object.entries(errorCatalogue))
      expect(documented.get(code), code).toEqual({ status: entry.status, description: entry.description });
  });

  it('gives every code an HTTP error status', () => {
    for (const [code, entry] of Object.entries(errorCatalogue))
      expect(entry.status, code).toBeGreaterThanOrEqual(400);
  });
});
