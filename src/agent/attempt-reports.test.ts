import { describe, expect, it } from 'vitest';
import type { AttemptStatusReport } from '../domain/nodes/agent-protocol.js';
import { AttemptReports } from './attempt-reports.js';

const report = (phase: AttemptStatusReport['phase']): AttemptStatusReport => ({
  attempt: 1,
  phase,
  at: new Date().toISOString(),
});

/** A server whose answers the test releases one at a time. */
function slowServer(refuse: ReadonlySet<string> = new Set()) {
  const received: string[] = [];
  const pending: (() => void)[] = [];
  const send = (r: AttemptStatusReport): Promise<unknown> => {
    received.push(r.phase);
    return new Promise((resolve, reject) =>
      pending.push(() => (refuse.has(r.phase) ? reject(new Error(`no ${r.phase}`)) : resolve({}))),
    );
  };
  const answerNext = async (): Promise<void> => {
    await new Promise((r) => setImmediate(r));
    pending.shift()?.();
    // Let the queue move on to its next report.
    await new Promise((r) => setImmediate(r));
  };
  return { received, send, answerNext };
}

describe('AttemptReports (an attempt’s phase reports)', () => {
  it('sends progress reports one after another without waiting, and the final one after them', async () => {
    const server = slowServer();
    const refused: string[] = [];
    const reports = new AttemptReports(server.send, (phase) => refused.push(phase));
    reports.progress(report('Preparing'));
    reports.progress(report('Running'));
    let finalDone = false;
    const final = reports.final(report('Completed')).then(() => (finalDone = true));
    await new Promise((r) => setImmediate(r));
    // Only the first is on its way: the next waits for its answer.
    expect(server.received).toEqual(['Preparing']);
    await server.answerNext();
    expect(server.received).toEqual(['Preparing', 'Running']);
    await server.answerNext();
    expect(server.received).toEqual(['Preparing', 'Running', 'Completed']);
    expect(finalDone).toBe(false);
    await server.answerNext();
    await final;
    expect(finalDone).toBe(true);
    expect(refused).toEqual([]);
  });

  it('hands a refused progress report to the agent and still sends the ones after it; a refused final one throws', async () => {
    const server = slowServer(new Set(['Running', 'Failed']));
    const refused: string[] = [];
    const reports = new AttemptReports(server.send, (phase, err) => refused.push(`${phase}: ${err.message}`));
    reports.progress(report('Preparing'));
    reports.progress(report('Running'));
    const final = reports.final(report('Failed'));
    await server.answerNext();
    await server.answerNext();
    expect(refused).toEqual(['Running: no Running']);
    const outcome = expect(final).rejects.toThrow('no Failed');
    await server.answerNext();
    await outcome;
    expect(server.received).toEqual(['Preparing', 'Running', 'Failed']);
  });
});

describe('AttemptReports with a hold on passing phases', () => {
  it('drops a Preparing or Finalizing report that the next report follows within the hold', async () => {
    const server = slowServer();
    const reports = new AttemptReports(server.send, () => undefined, 10_000);
    reports.progress(report('Preparing'));
    reports.progress(report('Running'));
    reports.progress(report('Finalizing'));
    const final = reports.final(report('Completed'));
    await server.answerNext();
    await server.answerNext();
    await final;
    expect(server.received).toEqual(['Running', 'Completed']);
  });

  it('sends a passing phase once the hold is over, in order before the reports after it', async () => {
    const server = slowServer();
    const reports = new AttemptReports(server.send, () => undefined, 5);
    reports.progress(report('Preparing'));
    await new Promise((r) => setTimeout(r, 30));
    expect(server.received).toEqual(['Preparing']);
    reports.progress(report('Running'));
    await server.answerNext();
    expect(server.received).toEqual(['Preparing', 'Running']);
    reports.progress(report('Finalizing'));
    await new Promise((r) => setTimeout(r, 30));
    const final = reports.final(report('Failed'));
    await server.answerNext();
    await server.answerNext();
    await server.answerNext();
    await final;
    expect(server.received).toEqual(['Preparing', 'Running', 'Finalizing', 'Failed']);
  });
});
