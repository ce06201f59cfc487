import type { EnvironmentDefinition } from '../nodes/agent-protocol.js';

/** A registered environment version (immutable once created, as in Azure ML). */
export interface EnvironmentRecord {
  workspace: string;
  name: string;
  version: string;
  description?: string;
  tags: Record<string, string>;
  /** Image reference, when the environment names one. */
  image?: string;
  /** Conda file contents, when given. */
  condaFile?: string;
  /** What a node builds or uses to run jobs in this environment. */
  definition: EnvironmentDefinition;
  createdAt: string;
}
