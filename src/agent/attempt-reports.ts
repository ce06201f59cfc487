import type { AttemptStatusReport } from '../domain/nodes/agent-protocol.js';

/** The phases that end an attempt on this node: after one, its slot is free. */
export const finalPhases: ReadonlySet<AttemptStatusReport['phase']> = new Set([
  'Completed',
  'Failed',
  'Canceled',
  'Preempted',
]);

/**
 * Phases that only say the attempt is between two others: a later report implies them, and one
 * that lasts a moment is not worth a request (Running is never held: it carries the start time).
 */
const passingPhases: ReadonlySet<AttemptStatusReport['phase']> = new Set(['Preparing', 'Finalizing']);

/**
 * An attempt's phase reports, delivered one after another in the order they were made, each
 * stamped when it was made. A progress report (Preparing, Running, Finalizing) does not hold the
 * attempt up: the files are fetched and the command started while it is on its way, which takes
 * a round trip to the server off every job's path. A refused one goes to `refused` (the agent
 * stops the attempt); the final report is awaited behind everything queued before it.
 *
 * With `holdMs`, a passing phase (Preparing, Finalizing) waits that long before it is queued, and
 * is dropped if the next report comes first: a job that prepares in a few milliseconds and ends
 * at once costs its node and the server two requests fewer (a third of a tiny job's), while a
 * long environment build or upload still shows as Preparing or Finalizing after `holdMs`.
 */
export class AttemptReports {
  private tail: Promise<unknown> = Promise.resolve();
  /** The timer of a passing phase being held, if any. */
  private held: NodeJS.Timeout | undefined;

  constructor(
    private readonly send: (report: AttemptStatusReport) => Promise<unknown>,
    private readonly refused: (phase: AttemptStatusReport['phase'], err: Error) => void,
    private readonly holdMs = 0,
  ) {}

  /** Queues a progress report made now (a passing phase after holdMs); never waits for the server. */
  progress(report: AttemptStatusReport): void {
    this.dropHeld();
    if (this.holdMs > 0 && passingPhases.has(report.phase)) {
      this.held = setTimeout(() => {
        this.held = undefined;
        this.queueProgress(report);
      }, this.holdMs);
      return;
    }
    this.queueProgress(report);
  }

  /** Sends a report after every one queued before it; resolves once the server has it. */
  async final(report: AttemptStatusReport): Promise<void> {
    this.dropHeld();
    await this.enqueue(report);
  }

  /** A passing phase not sent yet is implied by the report that follows it. */
  private dropHeld(): void {
    clearTimeout(this.held);
    this.held = undefined;
  }

  private queueProgress(report: AttemptStatusReport): void {
    this.enqueue(report).catch((err: Error) => this.refused(report.phase, err));
  }

  private enqueue(report: AttemptStatusReport): Promise<unknown> {
    const sent = this.tail.then(() => this.send(report));
    // The next report waits for this one's answer, whatever it is.
    this.tail = sent.catch(() => undefined);
    return sent;
  }
}
