import type { HangarConfig } from '../../config/config.js';
import type { Clock } from '../../domain/clock.js';
import type { ComputeRecord } from '../../domain/compute/compute-record.js';
import type { Store } from '../../store/store.js';
import type { LogStore } from '../jobs/log-store.js';
import type { PathFound } from '../jobs/input-resolution.js';
import type { Signals } from '../jobs/signals.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { WakeScope } from '../loops/wake-scope.js';

/** What every service needs: store, config, clock, secrets, and a way to wake the loops. */
export interface ServiceContext {
  store: Store;
  config: HangarConfig;
  clock: Clock;
  secrets: SecretBox;
  /**
   * Nudges the reconcile loops after the API recorded a new desired state; `scope` names the loops
   * the change concerns, when waking every loop would cost a pass of each (absent: every loop).
   */
  wake: (scope?: WakeScope) => void;
  /** Durable job logs and their live feed. */
  logs: LogStore;
  /** In-process wake-ups (agent long polls, log streams). */
  signals: Signals;
  /** The URL agents and jobs reach the server at (known once it listens). */
  publicUrl: () => string;
  /**
   * What an attached machine's user finds at absolute paths, asked through its provider (datastore
   * paths checked at submission); undefined when the machine cannot be asked now. Absent: not checked.
   */
  probeMachinePaths?: (compute: ComputeRecord, paths: string[]) => Promise<PathFound[] | undefined>;
}
