/**
 * Compute instances: one user's dev box. Desired power state and loop bookkeeping live on the
 * compute record (`instance`); what the node reports lives on its node record (`instance`).
 */

/** Azure ML's ComputeInstanceState, as Hangar shows it. */
export type InstanceState =
  /** Recorded; the provisioning loop has not accepted it yet. */
  | 'Creating'
  /** Creation failed (validation against the provider, quota…); `provisioningErrors` says why. */
  | 'CreateFailed'
  /** A node is being started for it. */
  | 'Starting'
  /** Its node registered and runs the creation/startup setup scripts. */
  | 'SettingUp'
  /** A setup script failed; `setup.log` holds its output. Restart or delete. */
  | 'SetupFailed'
  /** Up and usable, no job running. */
  | 'Running'
  /** Up, with at least one job running on it. */
  | 'JobRunning'
  /** Stop recorded; its node is being released. */
  | 'Stopping'
  /** No node; the home folder and quota are kept. */
  | 'Stopped'
  /** Restart recorded: the node is replaced by a fresh one. */
  | 'Restarting'
  /** Delete recorded; the node and home folder are being removed. */
  | 'Deleting'
  /** Its node stopped heartbeating. */
  | 'Unusable'
  /** Nothing is known (never written by Hangar itself). */
  | 'Unknown';

/** Desired power state and the loop's bookkeeping for one instance (on the compute record). */
export interface InstanceControl {
  /** What the owner (or a schedule / idle shutdown) last asked for. */
  power: 'Running' | 'Stopped';
  /** A restart was asked at this time and the old node has not yet been replaced. */
  restartRequestedAt?: string;
  /** The idle clock counts from no earlier than this (set when a shorter idle setting arrives). */
  idleClockResetAt?: string;
  /** Schedules were evaluated up to this time: occurrences after it are still to fire. */
  schedulesCheckedAt?: string;
  /** Single occurrences the owner chose to skip: `${scheduleId}@${ISO time}`. */
  skipped?: string[];
  /** The scheduled stop the owner was last told about (told once). */
  notifiedStopAt?: string;
  /** Single sign-on state (create-on-behalf instances start with it off). */
  ssoEnabled?: boolean;
  /** Who created the instance (object id of the caller). */
  createdBy?: string;
}

/** An SSH session open on the instance. */
export interface SshSession {
  from: string;
  user: string;
  since: string;
}

/** One application on the instance as the node sees it. */
export interface AppReport {
  name: string;
  /** jupyter, terminal or custom. */
  kind: 'jupyter' | 'terminal' | 'custom';
  /** Port on the node where the app listens (absent until it started). */
  port?: number;
  running: boolean;
  /** Published port (custom apps) the node forwards to `port`. */
  publishedPort?: number;
  error?: string;
}

/** Setup-script progress on the node. */
export interface SetupReport {
  phase: 'running' | 'succeeded' | 'failed';
  /** Last part of the setup log (creation and startup scripts). */
  log: string;
  failedScript?: 'creationScript' | 'startupScript';
}

/** What an instance's node reports with every heartbeat. */
export interface InstanceReport {
  setup: SetupReport;
  ssh?: { port: number; sessions: SshSession[] };
  apps: AppReport[];
  /** Kernels open in Jupyter (each counts as activity). */
  jupyterKernels: number;
  /** Web-terminal sessions open. */
  terminals: number;
  /** Token the server presents to the node's app gateway (never shown by a read). */
  appToken: string;
  /** Port of the node's app gateway (Jupyter, terminal, custom apps), on the node's loopback. */
  gatewayPort?: number;
}

/** A custom application, as the node runs it. */
export interface CustomAppConfig {
  name: string;
  command?: string;
  image?: string;
  targetPort: number;
  publishedPort: number;
  environment: Record<string, string>;
  /** Host folders mounted into the app (shown in the app as `target`). */
  mounts: { source: string; target: string; readOnly: boolean }[];
}

/** What the server tells an instance's node with every heartbeat answer. */
export interface InstanceConfig {
  /** Public path under which the server serves the instance's apps, e.g. /apps/default/alice-dev/ */
  appsPrefix: string;
  /** The user name SSH logs in as (Azure: azureuser). */
  user: string;
  ssh: { enabled: boolean; authorizedKeys: string[] };
  setupScripts: { creationScript?: string; startupScript?: string };
  customApps: CustomAppConfig[];
}

/** Published ports of custom applications (Azure's range). */
export const PUBLISHED_PORT_MIN = 8704;
export const PUBLISHED_PORT_MAX = 8993;
