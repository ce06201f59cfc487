import { describe, expect, it } from 'vitest';
import { unionScope, wakes, type WakeScope } from './wake-scope.js';

const loops = ['scheduler', 'node-pool', 'pipelines', 'sweeps', 'instances'];
const woken = (scope: WakeScope | undefined): string[] => loops.filter((l) => wakes(scope, l));

describe('wake scopes', () => {
  it('wake every loop, only some, or all but some', () => {
    expect(woken(undefined)).toEqual(loops);
    expect(woken({ only: ['scheduler', 'instances'] })).toEqual(['scheduler', 'instances']);
    expect(woken({ except: ['node-pool', 'sweeps'] })).toEqual(['scheduler', 'pipelines', 'instances']);
  });

  it('a union wakes exactly the loops either wakes', () => {
    const scopes: (WakeScope | undefined)[] = [
      undefined,
      { only: [] },
      { only: ['scheduler'] },
      { only: ['sweeps', 'instances'] },
      { except: ['node-pool'] },
      { except: ['node-pool', 'pipelines', 'sweeps'] },
      { except: ['sweeps', 'scheduler'] },
    ];
    for (const a of scopes)
      for (const b of scopes) {
        const either = loops.filter((l) => wakes(a, l) || wakes(b, l));
        expect(woken(unionScope(a, b)), `${JSON.stringify(a)} ∪ ${JSON.stringify(b)}`).toEqual(either);
      }
  });
});
