/** A step as the job API lists it under `pipeline.steps`. */
export interface PipelineStepView {
  step: string;
  job: string;
  dependsOn: string[];
  phase: string;
  why?: string;
  component?: string;
}

export interface LaidOutNode extends PipelineStepView {
  /** Column: the longest chain of steps it reads from. */
  column: number;
  row: number;
  x: number;
  y: number;
}

export interface PipelineLayout {
  nodes: LaidOutNode[];
  edges: { from: string; to: string; x1: number; y1: number; x2: number; y2: number }[];
  width: number;
  height: number;
}

export const nodeWidth = 170;
export const nodeHeight = 46;
const gapX = 60;
const gapY = 18;

/**
 * Lays a pipeline out left to right: each step in the column after the deepest step it reads from,
 * rows in the API's (dependency) order; edges run from a producer's right side to a reader's left.
 */
export function layoutPipeline(steps: readonly PipelineStepView[]): PipelineLayout {
  const byName = new Map(steps.map((s) => [s.step, s]));
  const column = new Map<string, number>();
  const depth = (name: string, seen: Set<string>): number => {
    const known = column.get(name);
    if (known !== undefined) return known;
    if (seen.has(name)) return 0; // a cycle never reaches here (the server refuses it); no infinite loop either way
    seen.add(name);
    const deps = (byName.get(name)?.dependsOn ?? []).filter((d) => byName.has(d));
    const c = deps.length === 0 ? 0 : Math.max(...deps.map((d) => depth(d, seen))) + 1;
    column.set(name, c);
    return c;
  };
  const rows = new Map<number, number>();
  const nodes: LaidOutNode[] = steps.map((s) => {
    const c = depth(s.step, new Set());
    const r = rows.get(c) ?? 0;
    rows.set(c, r + 1);
    return { ...s, column: c, row: r, x: c * (nodeWidth + gapX), y: r * (nodeHeight + gapY) };
  });
  const at = new Map(nodes.map((n) => [n.step, n]));
  const edges = nodes.flatMap((n) =>
    n.dependsOn.flatMap((d) => {
      const from = at.get(d);
      return from
        ? [
            {
              from: d,
              to: n.step,
              x1: from.x + nodeWidth,
              y1: from.y + nodeHeight / 2,
              x2: n.x,
              y2: n.y + nodeHeight / 2,
            },
          ]
        : [];
    }),
  );
  const columns = Math.max(0, ...nodes.map((n) => n.column + 1));
  const maxRows = Math.max(0, ...rows.values());
  return {
    nodes,
    edges,
    width: Math.max(0, columns * (nodeWidth + gapX) - gapX),
    height: Math.max(0, maxRows * (nodeHeight + gapY) - gapY),
  };
}
