import { dimensions, gridPoints, type SearchSpace } from './search-space.js';

/** A 32-bit seeded generator (mulberry32): the same seed gives the same stream everywhere. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mixes a seed and an index into one seed (so trial i's point does not depend on trials before it). */
function mix(seed: number, index: number): number {
  let h = (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** Random sampling, rule random: trial `index`'s unit point, a pure function of (seed, index). */
export function randomPoint(space: SearchSpace, seed: number, index: number): number[] {
  const next = seededRandom(mix(seed, index));
  return dimensions(space).map(() => next());
}

/**
 * Direction numbers (Joe & Kuo, new-joe-kuo-6.21201) for Sobol dimensions 2…16: degree s,
 * polynomial coefficients a, initial m values. Dimension 1 is the van der Corput sequence.
 */
const sobolTable: readonly { s: number; a: number; m: number[] }[] = [
  { s: 1, a: 0, m: [1] },
  { s: 2, a: 1, m: [1, 3] },
  { s: 3, a: 1, m: [1, 3, 1] },
  { s: 3, a: 2, m: [1, 1, 1] },
  { s: 4, a: 1, m: [1, 1, 3, 3] },
  { s: 4, a: 4, m: [1, 3, 5, 13] },
  { s: 5, a: 2, m: [1, 1, 5, 5, 17] },
  { s: 5, a: 4, m: [1, 1, 5, 5, 5] },
  { s: 5, a: 7, m: [1, 1, 7, 11, 19] },
  { s: 5, a: 11, m: [1, 1, 5, 1, 1] },
  { s: 5, a: 13, m: [1, 1, 1, 3, 11] },
  { s: 5, a: 14, m: [1, 3, 5, 5, 31] },
  { s: 6, a: 1, m: [1, 3, 3, 9, 7, 49] },
  { s: 6, a: 13, m: [1, 1, 1, 15, 21, 21] },
  { s: 6, a: 16, m: [1, 3, 1, 13, 27, 49] },
];

/** The most dimensions (search-space expressions, nested included) rule: sobol supports. */
export const sobolMaxDimensions = sobolTable.length + 1;

const bits = 32;

function directionNumbers(dim: number): number[] {
  const v: number[] = new Array<number>(bits + 1).fill(0);
  if (dim === 0) {
    for (let i = 1; i <= bits; i++) v[i] = 2 ** (bits - i);
    return v;
  }
  const row = sobolTable[dim - 1];
  if (!row) throw new Error(`sobol: dimension ${dim + 1} is beyond ${sobolMaxDimensions}`);
  const { s, a, m } = row;
  for (let i = 1; i <= s; i++) v[i] = (m[i - 1] ?? 1) * 2 ** (bits - i);
  for (let i = s + 1; i <= bits; i++) {
    let value = ((v[i - s] ?? 0) ^ Math.floor((v[i - s] ?? 0) / 2 ** s)) >>> 0;
    for (let k = 1; k < s; k++) if ((a >>> (s - 1 - k)) & 1) value = (value ^ (v[i - k] ?? 0)) >>> 0;
    v[i] = value;
  }
  return v;
}

/**
 * Random sampling, rule sobol: trial `index`'s point of the Sobol sequence (the all-zero first
 * point skipped), digitally shifted by the seed so two seeds give two sequences with the same spread.
 */
export function sobolPoint(space: SearchSpace, seed: number, index: number): number[] {
  const d = dimensions(space).length;
  const shift = seededRandom(seed);
  const n = index + 1;
  const point: number[] = [];
  for (let j = 0; j < d; j++) {
    const v = directionNumbers(j);
    let x = 0;
    // Gray-code free form: XOR the direction numbers of n's set bits.
    for (let i = 1, k = n; k > 0; i++, k = Math.floor(k / 2)) if (k & 1) x = (x ^ (v[i] ?? 0)) >>> 0;
    const s = Math.floor(shift() * 2 ** bits) >>> 0;
    point.push(((x ^ (seed === 0 ? 0 : s)) >>> 0) / 2 ** bits);
  }
  return point;
}

/** Grid sampling: trial `index`'s point, or undefined once the grid is exhausted. */
export function gridPoint(space: SearchSpace, index: number): number[] | undefined {
  return gridPoints(space)[index];
}

/** How many points the grid has (a grid sweep ends when they have all run, whatever max_total_trials says). */
export function gridSize(space: SearchSpace): number {
  return gridPoints(space).length;
}
