import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * The worker's code (a script, so it runs from dist/ and under the test runner alike): its own
 * connection to the database runs PASSIVE checkpoints, which copy the WAL's frames into the
 * database file and sync it without taking the write lock, so the server's writes never wait.
 */
const workerCode = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const counts = new Int32Array(workerData.counts);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('synchronous = NORMAL');
const checkpoint = () => {
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    Atomics.add(counts, 0, 1);
    if (r && r.checkpointed > 0) Atomics.add(counts, 1, r.checkpointed);
  } catch {
    Atomics.add(counts, 2, 1); // Busy (the server checkpointing itself): the next tick tries again.
  }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

/** What the checkpointer did so far (for tests and diagnostics). */
export interface CheckpointCounts {
  /** Checkpoints run. */
  runs: number;
  /** WAL frames copied into the database file, summed over the runs. */
  frames: number;
  /** Runs that found the checkpoint busy. */
  busy: number;
}

/**
 * Checkpoints a SQLite database's WAL from a worker thread. SQLite's automatic checkpoint runs in
 * the thread that commits, when the WAL passes 1,000 pages: under a steady stream of submits
 * that was a stall of 3–12 ms on the event loop every third of a second (copying 4 MB and
 * syncing the database file), which health checks and every other request waited for.
 */
export class WalCheckpointer {
  private readonly counts = new Int32Array(new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT));
  private readonly worker: Worker;
  private readonly exited: Promise<void>;

  constructor(path: string, intervalMs: number) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(workerCode, {
      eval: true,
      workerData: { path, intervalMs, driver, counts: this.counts.buffer },
    });
    // Never what keeps a process alive: the server's own connection checkpoints too (a safety net).
    this.worker.unref();
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
    // A worker that fails (its connection could not open) leaves checkpoints to the server's connection.
    this.worker.on('error', () => undefined);
  }

  get done(): CheckpointCounts {
    return {
      runs: Atomics.load(this.counts, 0),
      frames: Atomics.load(this.counts, 1),
      busy: Atomics.load(this.counts, 2),
    };
  }

  /** Stops the worker and closes its connection. */
  async stop(): Promise<void> {
    // Held while it stops: awaiting an unreferenced worker would let the process end right here,
    // before whatever its caller does after closing the store (a CLI printing what it copied).
    this.worker.ref();
    this.worker.postMessage('stop');
    await this.exited;
  }
}
