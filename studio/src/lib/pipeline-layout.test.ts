import { describe, expect, it } from 'vitest';
import { layoutPipeline, nodeHeight, nodeWidth, type PipelineStepView } from './pipeline-layout.js';

const step = (name: string, dependsOn: string[] = []): PipelineStepView => ({
  step: name,
  job: `p_${name}`,
  dependsOn,
  phase: 'NotStarted',
});

describe('pipeline layout', () => {
  it('puts each step in the column after its deepest producer, with one edge per dependency', () => {
    const l = layoutPipeline([
      step('prep'),
      step('other'),
      step('train', ['prep']),
      step('score', ['train', 'prep']),
    ]);
    expect(l.nodes.map((n) => [n.step, n.column, n.row])).toEqual([
      ['prep', 0, 0],
      ['other', 0, 1],
      ['train', 1, 0],
      ['score', 2, 0],
    ]);
    expect(l.edges.map((e) => `${e.from}->${e.to}`)).toEqual(['prep->train', 'train->score', 'prep->score']);
    const e = l.edges[0];
    expect(e).toMatchObject({ x1: nodeWidth, y1: nodeHeight / 2, y2: nodeHeight / 2 });
    expect(l.width).toBeGreaterThan(2 * nodeWidth);
    expect(l.height).toBeGreaterThan(nodeHeight);
  });

  it('lays out nothing for no steps', () => {
    expect(layoutPipeline([])).toEqual({ nodes: [], edges: [], width: 0, height: 0 });
  });
});
