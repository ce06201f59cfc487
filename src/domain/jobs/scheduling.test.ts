import { describe, expect, it } from 'vitest';
import {
  decideAssignments,
  decisionSteps,
  inQueueOrder,
  unitsPerStep,
  queueOrder,
  waitingJobs,
  type SchedulingDecision,
  type ComputeForScheduling,
  type SchedulableNode,
} from './scheduling.js';
import { queuedJob } from './test-jobs.js';

const cluster: ComputeForScheduling = {
  name: 'cpu-cluster',
  computeType: 'AmlCompute',
  state: 'Succeeded',
  maxNodes: 4,
};
const instance: ComputeForScheduling = {
  name: 'alice-dev',
  computeType: 'ComputeInstance',
  state: 'Running',
  maxNodes: 1,
};
const node = (
  id: string,
  computeName: string,
  slots: number,
  busy = 0,
  state: SchedulableNode['state'] = 'idle',
): SchedulableNode => ({ id, computeName, slots, busy, state });
const computes = new Map([
  [cluster.name, cluster],
  [instance.name, instance],
]);

/** The assignments by job name, as the loop applies them. */
const placed = (d: SchedulingDecision): { jobName: string; nodeId: string }[] =>
  d.assignments.map((a) => ({ jobName: a.job.name, nodeId: a.nodeId }));

describe('decideAssignments', () => {
  it('fills free slots in priority then FIFO order', () => {
    const jobs = [
      queuedJob({ name: 'late', queueSeq: 3 }),
      queuedJob({ name: 'early', queueSeq: 1 }),
      queuedJob({ name: 'urgent', queueSeq: 5, priority: 10 }),
    ];
    const d = decideAssignments(jobs, [node('n1', 'cpu-cluster', 1), node('n2', 'cpu-cluster', 1)], computes);
    expect(placed(d).map((a) => a.jobName)).toEqual(['urgent', 'early']);
    expect(waitingJobs(d)).toEqual([
      { jobName: 'late', reason: 'waiting for a free slot on cpu-cluster (2/2 busy)' },
    ]);
  });

  it('runs several jobs on an instance up to its slots, then says why the rest wait', () => {
    const jobs = ['a', 'b', 'c'].map((n, i) => queuedJob({ name: n, queueSeq: i, computeName: 'alice-dev' }));
    const d = decideAssignments(jobs, [node('i1', 'alice-dev', 2)], computes);
    expect(placed(d)).toEqual([
      { jobName: 'a', nodeId: 'i1' },
      { jobName: 'b', nodeId: 'i1' },
    ]);
    expect(waitingJobs(d)[0]?.reason).toBe('waiting for a free slot on alice-dev (2/2 busy)');
  });

  it('keeps filling an instance that is already running a job (JobRunning), but not one setting up', () => {
    const busy = new Map([[instance.name, { ...instance, state: 'JobRunning' }]]);
    const d = decideAssignments(
      [queuedJob({ name: 'b', computeName: 'alice-dev' })],
      [node('i1', 'alice-dev', 2, 1, 'running')],
      busy,
    );
    expect(placed(d)).toEqual([{ jobName: 'b', nodeId: 'i1' }]);
    const setting = new Map([[instance.name, { ...instance, state: 'SettingUp' }]]);
    expect(
      decideAssignments([queuedJob({ computeName: 'alice-dev' })], [node('i1', 'alice-dev', 2)], setting)
        .waiting[0]?.reason,
    ).toBe('compute alice-dev is SettingUp');
  });

  it('spreads jobs over the emptiest node', () => {
    const d = decideAssignments(
      [queuedJob({ name: 'a' })],
      [node('busy', 'cpu-cluster', 4, 3, 'running'), node('free', 'cpu-cluster', 4)],
      computes,
    );
    expect(placed(d)).toEqual([{ jobName: 'a', nodeId: 'free' }]);
  });

  it('explains waits: stopped instance, starting nodes, no node yet, missing compute', () => {
    const stopped = new Map([[instance.name, { ...instance, state: 'Stopped' }]]);
    expect(
      decideAssignments([queuedJob({ computeName: 'alice-dev' })], [node('i1', 'alice-dev', 2)], stopped)
        .waiting[0]?.reason,
    ).toBe('compute alice-dev is Stopped');
    expect(
      decideAssignments([queuedJob()], [node('n1', 'cpu-cluster', 1, 0, 'preparing')], computes).waiting[0]
        ?.reason,
    ).toBe('waiting for 1 node(s) of cpu-cluster to start');
    expect(decideAssignments([queuedJob()], [], computes).waiting[0]?.reason).toBe(
      'waiting for cpu-cluster to provision a node (0/4 nodes)',
    );
    expect(decideAssignments([queuedJob({ computeName: 'gone' })], [], computes).waiting[0]?.reason).toBe(
      'compute gone does not exist',
    );
  });

  it('keeps spreading to the emptiest node; ties go to the node listed first', () => {
    const jobs = ['a', 'b', 'c', 'd'].map((n, i) => queuedJob({ name: n, queueSeq: i }));
    const d = decideAssignments(
      jobs,
      [node('x', 'cpu-cluster', 2, 1, 'running'), node('y', 'cpu-cluster', 3), node('z', 'cpu-cluster', 2)],
      computes,
    );
    // free: x 1, y 3, z 2 → y (2 left), then y/z tie at 2 → y (listed before z), then z, then x/y/z tie at 1 → x.
    expect(d.assignments.map((a) => a.nodeId)).toEqual(['y', 'y', 'z', 'x']);
  });

  it('places the ranks of a multi-node job all at once on distinct nodes, or none', () => {
    const distribution = { type: 'pytorch' as const, processCountPerInstance: 1 };
    const ranks = [0, 1].map((rank) =>
      queuedJob({
        name: `big_rank${rank}`,
        queueSeq: 1,
        gang: { size: 2, rank, parent: 'big', distribution },
      }),
    );
    const later = queuedJob({ name: 'small', queueSeq: 2 });
    const one = decideAssignments(
      [...ranks, later],
      [node('n1', 'cpu-cluster', 1), node('n2', 'cpu-cluster', 1, 1, 'running')],
      computes,
    );
    expect(placed(one)).toEqual([]);
    expect(waitingJobs(one)).toEqual([
      { jobName: 'big_rank0', reason: 'waiting for 2 free nodes of cpu-cluster at once (1 free now)' },
      { jobName: 'big_rank1', reason: 'waiting for 2 free nodes of cpu-cluster at once (1 free now)' },
      { jobName: 'small', reason: 'waiting behind multi-node job big on cpu-cluster' },
    ]);
    const two = decideAssignments(
      [...ranks, later],
      [node('n1', 'cpu-cluster', 1), node('n2', 'cpu-cluster', 1)],
      computes,
    );
    expect(placed(two)).toEqual([
      { jobName: 'big_rank0', nodeId: 'n1' },
      { jobName: 'big_rank1', nodeId: 'n2' },
    ]);
    expect(waitingJobs(two).map((w) => w.jobName)).toEqual(['small']);
  });

  it('leaves out the waiting jobs whose reason is already the one decided, when asked', () => {
    const full = [node('n1', 'cpu-cluster', 1, 1, 'running')];
    const why = 'waiting for a free slot on cpu-cluster (1/1 busy)';
    const jobs = [
      queuedJob({ name: 'told', queueSeq: 1, reason: why }),
      queuedJob({ name: 'stale', queueSeq: 2, reason: 'waiting for a free slot on cpu-cluster (0/1 busy)' }),
      queuedJob({ name: 'new', queueSeq: 3 }),
    ];
    expect(waitingJobs(decideAssignments(jobs, full, computes)).map((w) => w.jobName)).toEqual([
      'told',
      'stale',
      'new',
    ]);
    expect(waitingJobs(decideAssignments(jobs, full, computes, { omitUnchanged: true }))).toEqual([
      { jobName: 'stale', reason: why },
      { jobName: 'new', reason: why },
    ]);
  });

  it('lists every waiting job when multi-node jobs are queued (a reason may become "behind" later)', () => {
    const distribution = { type: 'pytorch' as const, processCountPerInstance: 1 };
    const why = 'waiting for a free slot on cpu-cluster (1/1 busy)';
    const jobs = [
      queuedJob({ name: 'first', queueSeq: 1, reason: why }),
      ...[0, 1].map((rank) =>
        queuedJob({
          name: `big_rank${rank}`,
          queueSeq: 2,
          gang: { size: 2, rank, parent: 'big', distribution },
        }),
      ),
    ];
    const d = decideAssignments(jobs, [node('n1', 'cpu-cluster', 1, 1, 'running')], computes, {
      omitUnchanged: true,
    });
    expect(waitingJobs(d).find((w) => w.jobName === 'first')?.reason).toBe(
      'waiting behind multi-node job big on cpu-cluster',
    );
  });

  it('never places work on unusable or leaving nodes', () => {
    const d = decideAssignments(
      [queuedJob()],
      [node('n1', 'cpu-cluster', 1, 0, 'unusable'), node('n2', 'cpu-cluster', 1, 0, 'leaving')],
      computes,
    );
    expect(placed(d)).toEqual([]);
  });
});

describe('inQueueOrder', () => {
  it('orders exactly as sort(queueOrder), stable, whether or not each priority comes in sequence', () => {
    let seed = 7;
    const rand = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    for (const shuffled of [false, true]) {
      const jobs = Array.from({ length: 500 }, (_, i) => ({
        name: `j${i}`,
        priority: 1 + rand(3),
        // Some equal sequence numbers: the tie keeps the input order, as the stable sort does.
        queueSeq: shuffled ? rand(200) : i,
      }));
      expect(inQueueOrder(jobs).map((j) => j.name)).toEqual([...jobs].sort(queueOrder).map((j) => j.name));
    }
    expect(inQueueOrder([])).toEqual([]);
  });
});

describe('decisionSteps', () => {
  it('pauses every unitsPerStep jobs of the walk and returns the decision decideAssignments makes', () => {
    const count = unitsPerStep * 2 + 500;
    const jobs = Array.from({ length: count }, (_, i) =>
      queuedJob({ name: `j${i}`, queueSeq: i, priority: i % 3 === 0 ? 10 : 0 }),
    );
    const nodes = [node('n1', 'cpu-cluster', 2), node('n2', 'cpu-cluster', 1, 1)];
    const steps = decisionSteps(jobs, nodes, computes);
    let pauses = 0;
    let step = steps.next();
    for (; !step.done; step = steps.next()) pauses++;
    expect(pauses).toBe(Math.floor(count / unitsPerStep));
    const whole = decideAssignments(jobs, nodes, computes);
    expect(placed(step.value)).toEqual(placed(whole));
    expect(placed(step.value)).toEqual([
      { jobName: 'j0', nodeId: 'n1' },
      { jobName: 'j3', nodeId: 'n1' },
    ]);
    expect(waitingJobs(step.value)).toEqual(waitingJobs(whole));
    expect(waitingJobs(step.value)).toHaveLength(count - 2);
  });
});
