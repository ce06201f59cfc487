import type { NodeCapacity } from './agent-protocol.js';
import type { InstanceReport, SshSession } from '../instances/instance.js';

/**
 * Lifecycle of a node (Azure's NodeState values, lower-case as Azure writes them).
 */
export type NodeState =
  /** Provisioned by a provider; its agent has not registered yet. */
  | 'preparing'
  /** Registered and heartbeating, no job on it. */
  | 'idle'
  /** Registered and running at least one job attempt. */
  | 'running'
  /** Missed its heartbeats: its jobs are NotResponding until it returns or the grace period ends. */
  | 'unusable'
  /** Being released (scale-down, delete, lost): no new work; gone once the provider confirms. */
  | 'leaving'
  /** Taken back by the provider (low priority); its jobs go back to the queue. */
  | 'preempted';

/** What the store keeps for one node. */
export interface NodeRecord {
  id: string;
  workspace: string;
  computeId: string;
  computeName: string;
  provider: string;
  /** The provider's own handle (pid, Slurm job id…). */
  providerRef?: string;
  state: NodeState;
  /** sha256 of the one-time registration token; kept for a retried registration, cleared at the session's first use. */
  tokenHash?: string;
  /** sha256 of the session token the agent uses after registering. */
  sessionTokenHash?: string;
  capacity?: NodeCapacity;
  /** How many job attempts may run on it at once. */
  slots: number;
  address?: string;
  hostname?: string;
  createdAt: string;
  registeredAt?: string;
  lastHeartbeatAt?: string;
  /** Since when it has had no job (for idle scale-down). */
  idleSince?: string;
  /** Compute-instance nodes: setup, SSH, apps and activity as last reported. */
  instance?: InstanceReport;
  /** Cluster nodes with SSH on: the SSH server's port and open connections as last reported. */
  ssh?: { port: number; sessions: SshSession[] };
  /** Deployment replicas on it: the port each replica job's scoring host listens on (by job key), as last reported. */
  servingPorts?: Record<string, number>;
  /** Why it is leaving / unusable / preempted. */
  reason?: string;
  version: number;
}

/** How the server judges a node from its heartbeats. */
export type NodeHealth = 'healthy' | 'not-responding' | 'lost';

/**
 * Judges a registered node: healthy while heartbeats are recent; not-responding after
 * `missedAfterMs` of silence; lost after `lostAfterMs` more (the grace period).
 */
export function nodeHealth(
  node: Pick<NodeRecord, 'lastHeartbeatAt' | 'registeredAt'>,
  now: Date,
  missedAfterMs: number,
  lostAfterMs: number,
): NodeHealth {
  const last = node.lastHeartbeatAt ?? node.registeredAt;
  if (!last) return 'healthy';
  const silent = now.getTime() - new Date(last).getTime();
  if (silent <= missedAfterMs) return 'healthy';
  return silent > missedAfterMs + lostAfterMs ? 'lost' : 'not-responding';
}

/**
 * Where the server reaches a service on a node (an instance's app gateway, a deployment replica):
 * local nodes are processes on the server's host, others are at the address they registered with.
 */
export function nodeHost(node: Pick<NodeRecord, 'provider' | 'address'>): string {
  return node.provider === 'local' ? '127.0.0.1' : (node.address ?? '127.0.0.1');
}
