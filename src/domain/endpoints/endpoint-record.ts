import type { EnvironmentDefinition } from '../nodes/agent-protocol.js';
import type { DeploymentSpec, EndpointSpec } from './endpoint-spec.js';

/** Azure's provisioning states of endpoints and deployments. */
export type EndpointState = 'Creating' | 'Updating' | 'Succeeded' | 'Failed' | 'Deleting';
export type DeploymentState = 'Creating' | 'Updating' | 'Scaling' | 'Succeeded' | 'Failed' | 'Deleting';

/** An online endpoint as stored; its keys are secrets (never in the record). */
export interface EndpointRecord {
  id: string;
  workspace: string;
  name: string;
  spec: EndpointSpec;
  provisioningState: EndpointState;
  createdAt: string;
  modifiedAt: string;
  createdBy?: string;
  version: number;
}

/** What a replica runs, resolved at create/update so nothing is looked up again later. */
export interface ResolvedDeployment {
  code: { snapshotId: string; subPath: string };
  model?: { snapshotId: string; subPath: string; display: string };
  /** The interpreter replicas run with, and how the environment was understood. */
  python: string;
  environment: string;
  /**
   * A deployment with `compute:`: the compute whose nodes host its replicas (each replica a job
   * there, its environment prepared by the node's agent). Absent: the server's serving pool.
   */
  pool?: { compute: string; environment: EnvironmentDefinition };
}

/** A deployment template: changing it makes a new generation (replicas of the old one serve until the new is ready). */
export interface DeploymentGeneration {
  number: number;
  spec: DeploymentSpec;
  resolved: ResolvedDeployment;
}

/** A deployment as stored: desired generation, the generation that serves, and what went wrong. */
export interface DeploymentRecord {
  id: string;
  workspace: string;
  endpoint: string;
  name: string;
  /** The generation users asked for last. */
  desired: DeploymentGeneration;
  /** The generation whose replicas take traffic (absent until one became ready). */
  serving?: DeploymentGeneration;
  status: {
    provisioningState: DeploymentState;
    /** Why it is Failed or still Creating, in one sentence. */
    reason?: string;
    /** The last lines of the failed replica's log (init() traceback). */
    logTail?: string;
    /** The generation that failed (not retried until a new update). */
    failedGeneration?: number;
    readyReplicas?: number;
  };
  createdAt: string;
  modifiedAt: string;
  createdBy?: string;
  version: number;
}

/** The parent name a Kubernetes deployment's replica jobs are listed under (`hangar job list --parent-job-name`). */
export function replicaParent(d: Pick<DeploymentRecord, 'id'>): string {
  return `${replicaParentPrefix}${d.id}`;
}

const replicaParentPrefix = 'deployment-';

/** The deployment id a replica parent name names (undefined for any other parent name). */
export function deploymentOfReplicaParent(parent: string): string | undefined {
  return parent.startsWith(replicaParentPrefix) ? parent.slice(replicaParentPrefix.length) : undefined;
}
