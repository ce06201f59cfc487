/**
 * Compute instances: one user's dev box. Desired power state and loop bookkeeping live on the
 * compute record (`instance`); what the node reports lives on its node record (`instance`).
 */

import { z } from 'zod';

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
export const sshSessionSchema = z.object({ from: z.string(), user: z.string(), since: z.string() });
export type SshSession = z.infer<typeof sshSessionSchema>;

/** One application on the instance as the node sees it. */
export const appReportSchema = z.object({
  name: z.string(),
  /** jupyter, terminal or custom. */
  kind: z.enum(['jupyter', 'terminal', 'custom']),
  /** Port on the node where the app listens (absent until it started). */
  port: z.number().int().optional(),
  running: z.boolean(),
  /** Published port (custom apps) the node forwards to `port`. */
  publishedPort: z.number().int().optional(),
  error: z.string().optional(),
});
export type AppReport = z.infer<typeof appReportSchema>;

/** Setup-script progress on the node. */
export const setupReportSchema = z.object({
  phase: z.enum(['running', 'succeeded', 'failed']),
  /** Last part of the setup log (creation and startup scripts). */
  log: z.string(),
  failedScript: z.enum(['creationScript', 'startupScript']).optional(),
});
export type SetupReport = z.infer<typeof setupReportSchema>;

/** What an instance's node reports with every heartbeat. */
export const instanceReportSchema = z.object({
  setup: setupReportSchema,
  ssh: z.object({ port: z.number().int(), sessions: z.array(sshSessionSchema) }).optional(),
  apps: z.array(appReportSchema),
  /** Kernels open in Jupyter (each counts as activity). */
  jupyterKernels: z.number().int().min(0),
  /** Web-terminal sessions open. */
  terminals: z.number().int().min(0),
  /** Token the server presents to the node's app gateway (never shown by a read). */
  appToken: z.string().min(16),
  /** Port of the node's app gateway (Jupyter, terminal, custom apps), on the node's loopback. */
  gatewayPort: z.number().int().optional(),
});
export type InstanceReport = z.infer<typeof instanceReportSchema>;

/** A custom application, as the node runs it. */
export const customAppConfigSchema = z.object({
  name: z.string(),
  command: z.string().optional(),
  image: z.string().optional(),
  targetPort: z.number().int(),
  publishedPort: z.number().int(),
  environment: z.record(z.string(), z.string()),
  /** Host folders mounted into the app (shown in the app as `target`). */
  mounts: z.array(z.object({ source: z.string(), target: z.string(), readOnly: z.boolean() })),
});
export type CustomAppConfig = z.infer<typeof customAppConfigSchema>;

/** What the server tells an instance's node with every heartbeat answer. */
export const instanceConfigSchema = z.object({
  /** Public path under which the server serves the instance's apps, e.g. /apps/default/alice-dev/ */
  appsPrefix: z.string(),
  /** The user name SSH logs in as (Azure: azureuser). */
  user: z.string(),
  ssh: z.object({ enabled: z.boolean(), authorizedKeys: z.array(z.string()) }),
  setupScripts: z.object({ creationScript: z.string().optional(), startupScript: z.string().optional() }),
  customApps: z.array(customAppConfigSchema),
  /**
   * What the Azure ML SDK v2 needs in the instance's sessions (absent when the server has no HTTPS
   * listener): AZUREML_* and IDENTITY_* variables, and the server's CA the agent writes, with the
   * system's CAs, as REQUESTS_CA_BUNDLE.
   */
  azureml: z
    .object({
      env: z.record(z.string(), z.string()),
      caPem: z.string().includes('BEGIN CERTIFICATE'),
    })
    .optional(),
});
export type InstanceConfig = z.infer<typeof instanceConfigSchema>;

/** Published ports of custom applications (Azure's range). */
export const PUBLISHED_PORT_MIN = 8704;
export const PUBLISHED_PORT_MAX = 8993;
