import type { AttemptStatusReport } from '../domain/nodes/agent-protocol.js';

/** The phases that end an attempt on this node: after one, its slot is free. */
export const finalPhases: ReadonlySet<AttemptStatusReport['phase']> = new Set([
  'Completed',
  'Failed',
  'Canceled',
  'Preempted',
]);

/**
 * An attempt's phase reports, delivered one after another in the order they were made, each
 * stamped when it was made. A progress report (Preparing, Running, Finalizing) does not hold the
 * attempt up: the files are fetched and the command started while it is on its way, which takes
 * a round trip to the server off every job's path. A refused one goes to `refused` (the agent
 * stops the attempt); the final report is awaited behind everything queued before it.
 */
export class AttemptReports {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly send: (report: AttemptStatusReport) => Promise<unknown>,
    private readonly refused: (phase: AttemptStatusReport['phase'], err: Error) => void,
  ) {}

  /** Queues a progress report made now; never waits for the server. */
  progress(report: AttemptStatusReport): void {
    this.enqueue(report).catch((err: Error) => this.refused(report.phase, err));
  }

  /** Sends a report after every one queued before it; resolves once the server has it. */
  async final(report: AttemptStatusReport): Promise<void> {
    await this.enqueue(report);
  }

  private enqueue(report: AttemptStatusReport): Promise<unknown> {
    const sent = this.tail.then(() => this.send(report));
    // The next report waits for this one's answer, whatever it is.
    this.tail = sent.catch(() => undefined);
    return sent;
  }
}
