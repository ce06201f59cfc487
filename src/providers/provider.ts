export {
  CAPACITY_RETRY_AFTER_MS,
  isProviderError,
  ProviderError,
  type ProviderErrorKind,
} from './provider-errors.js';

/** What a provider is asked to start: one node running `hangar agent`. */
export interface NodeProvisionRequest {
  nodeId: string;
  /** One-time token the agent registers with. */
  nodeToken: string;
  serverUrl: string;
  computeName: string;
  /** Parallel job attempts the agent may take. */
  slots: number;
  /** Extra `hangar agent` flags (e.g. --pip-find-links DIR). */
  agentArgs?: string[];
  /** GPUs the node's VM size has (absent or 0: none); the provider hands it that many or refuses. */
  gpus?: number;
  /** The VM size, for messages. */
  vmSize?: string;
}

/**
 * What a machine sees at a path, as its login user: `absent` (no such path, or a folder on the
 * way the user may not enter), `unreadable`, or a file or folder (and whether the user may write it).
 */
export type PathProbe =
  | { path: string; kind: 'absent' }
  | { path: string; kind: 'unreadable' }
  | { path: string; kind: 'file' | 'folder'; writable: boolean };

/** A node as the provider sees it. */
export interface ProviderNode {
  nodeId: string;
  /** The provider's handle (pid, Slurm job id…). */
  ref: string;
  /** running: the node process/allocation exists; gone: it ended or never existed. */
  state: 'running' | 'gone';
}

/**
 * The only code that knows a backend. Every method is idempotent (provisioning an existing node
 * returns it; terminating a gone one succeeds) and takes an AbortSignal so loops can cancel.
 * A backend's failure is a ProviderError (refused, unreachable, capacity, credentials): callers
 * decide on its `kind` whether and when to ask again; an aborted signal rejects with its reason.
 */
export interface Provider {
  readonly name: string;
  provision(request: NodeProvisionRequest, signal?: AbortSignal): Promise<ProviderNode>;
  describe(nodeId: string, signal?: AbortSignal): Promise<ProviderNode>;
  terminate(nodeId: string, signal?: AbortSignal): Promise<void>;
  /** Every node this provider runs for this server (to find orphans). */
  list(signal?: AbortSignal): Promise<ProviderNode[]>;
}
