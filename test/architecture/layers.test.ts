import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findCycles, sourceFiles } from './import-graph.js';

const root = join(import.meta.dirname, '..', '..');

describe('architecture', () => {
  it('no import cycles in src or the studio (runtime imports)', () => {
    const files = [...sourceFiles(join(root, 'src')), ...sourceFiles(join(root, 'studio', 'src'))];
    expect(files.length).toBeGreaterThan(100);
    expect(findCycles(files, root)).toEqual([]);
  });

  it('the cycle check finds a cycle (and ignores type-only imports)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hangar-cycle-'));
    writeFileSync(join(dir, 'a.ts'), "import { b } from './b.js';\nexport const a = b;\n");
    writeFileSync(join(dir, 'b.ts'), "import {\n  c,\n} from './c.js';\nexport const b = c;\n");
    writeFileSync(
      join(dir, 'c.ts'),
      "export { a } from './a.js';\nimport type { d } from './d.js';\nexport const c = 1;\n",
    );
    writeFileSync(join(dir, 'd.ts'), "import { c } from './c.js';\nexport type d = typeof c;\n");
    expect(findCycles(sourceFiles(dir), dir)).toEqual([['a.ts', 'b.ts', 'c.ts', 'a.ts']]);
  });
});
