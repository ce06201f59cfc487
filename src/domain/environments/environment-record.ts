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
  /** Archived versions are not picked by `latest` but stay usable by explicit version. */
  archived?: boolean;
  /** sha256 of the spec (image, conda file, build context): an identical spec registered again reuses its version. */
  specHash?: string;
  /** A Docker build context (`build.path`, `build.dockerfile_path`) as given, when the environment is built. */
  build?: { path: string; dockerfilePath?: string };
  modifiedAt?: string;
  /** A custom inference container's routes and port (`inference_config`), kept so deployments can say what they cannot run. */
  inferenceConfig?: Record<string, unknown>;
}
