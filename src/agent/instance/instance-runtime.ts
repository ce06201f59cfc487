import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InstanceConfig, InstanceReport, SetupReport } from '../../domain/instances/instance.js';
import { CustomApps } from './custom-apps.js';
import type { AppGateway } from './gateway.js';
import { JupyterApp } from './jupyter.js';
import {
  instanceNameOf,
  prepareHome,
  resolveSessionUser,
  sessionEnv,
  type SessionUser,
} from './session-env.js';
import { runSetupScripts } from './setup-scripts.js';
import type { InstanceSshServer } from './ssh-server.js';

/** The node's public CAs (Debian's ca-certificates), put before the server's CA in the sessions' bundle. */
const SYSTEM_CA_FILE = '/etc/ssl/certs/ca-certificates.crt';

/** How the agent runs as a compute instance's node. */
export interface InstanceRuntimeOptions {
  /** Folder that outlives nodes: home/, host key, setup log. */
  instanceDir: string;
  jupyterCommand: string;
  containerRuntime: string | null;
  baseEnv: Record<string, string | undefined>;
  log: (line: string) => void;
}

/**
 * Everything an instance's node does besides jobs: setup scripts, its SSH server, Jupyter, the web
 * terminal and custom apps behind one gateway, and the activity report the server's idle
 * shutdown reads.
 */
export class InstanceRuntime {
  readonly home: string;
  private readonly token = randomBytes(24).toString('hex');
  private readonly env: Record<string, string>;
  private gateway: AppGateway | undefined;
  private gatewayPort: number | undefined;
  private jupyter: JupyterApp | undefined;
  private readonly apps: CustomApps;
  private ssh: InstanceSshServer | undefined;
  private sshPort: number | undefined;
  private setup: SetupReport = { phase: 'running', log: '' };
  private setupStarted = false;
  private config: InstanceConfig | undefined;
  private sessionUser: SessionUser | undefined;

  constructor(private readonly options: InstanceRuntimeOptions) {
    this.home = join(options.instanceDir, 'home');
    mkdirSync(this.home, { recursive: true });
    this.env = sessionEnv(options.baseEnv, this.home, 'azureuser');
    this.apps = new CustomApps(join(options.instanceDir, 'apps'), this.env, options.containerRuntime);
  }

  /** Follows the server's latest wishes: setup once, SSH on/off and keys, custom apps. */
  async apply(config: InstanceConfig): Promise<void> {
    this.config = config;
    const extra = this.azuremlEnv(config);
    const env = sessionEnv(
      this.options.baseEnv,
      this.home,
      config.user,
      instanceNameOf(config.appsPrefix),
      extra,
    );
    if (!this.gateway) {
      // Loaded when first needed: every agent loads this module, only an instance's needs ws.
      const { AppGateway } = await import('./gateway.js');
      this.sessionUser = resolveSessionUser(config.user);
      prepareHome(this.home, this.sessionUser);
      this.jupyter = new JupyterApp(
        this.options.jupyterCommand,
        this.home,
        this.options.instanceDir,
        `${config.appsPrefix}jupyter/`,
        this.token,
        env,
      );
      this.gateway = new AppGateway({
        prefix: config.appsPrefix,
        token: this.token,
        jupyter: this.jupyter,
        apps: this.apps,
        home: this.home,
        sessionEnv: env,
        sessionUser: this.sessionUser,
      });
      this.gatewayPort = await this.gateway.listen('127.0.0.1');
    }
    if (!this.setupStarted) {
      this.setupStarted = true;
      void runSetupScripts(
        this.options.instanceDir,
        this.home,
        env,
        config.setupScripts,
        (r) => (this.setup = r),
      ).then((r) => {
        this.setup = r;
        this.options.log(`instance setup ${r.phase}${r.failedScript ? ` (${r.failedScript})` : ''}`);
        if (r.phase === 'succeeded' && this.config) this.apps.reconcile(this.config.customApps);
      });
    }
    await this.applySsh(config, extra);
    if (this.setup.phase === 'succeeded') this.apps.reconcile(config.customApps);
  }

  /**
   * The Azure ML SDK's variables for the sessions, with REQUESTS_CA_BUNDLE: the node's CAs and the
   * server's, written once into the instance's folder (readable by the session user).
   */
  private azuremlEnv(config: InstanceConfig): Record<string, string> {
    const sdk = config.azureml;
    if (!sdk) return {};
    const bundle = join(this.options.instanceDir, 'ca-bundle.pem');
    const text = `${existsSync(SYSTEM_CA_FILE) ? readFileSync(SYSTEM_CA_FILE, 'utf8').trimEnd() : ''}\n${sdk.caPem.trim()}\n`;
    if (!existsSync(bundle) || readFileSync(bundle, 'utf8') !== text)
      writeFileSync(bundle, text, { mode: 0o644 });
    return { ...sdk.env, REQUESTS_CA_BUNDLE: bundle };
  }

  private async applySsh(config: InstanceConfig, extraEnv: Record<string, string>): Promise<void> {
    const settings = {
      user: config.user,
      authorizedKeys: config.ssh.authorizedKeys,
      instanceName: instanceNameOf(config.appsPrefix),
      sessionUser: this.sessionUser,
      extraEnv,
    };
    if (config.ssh.enabled && !this.ssh) {
      const { InstanceSshServer } = await import('./ssh-server.js');
      this.ssh = new InstanceSshServer(
        this.options.instanceDir,
        this.home,
        settings,
        this.options.baseEnv,
        this.options.log,
      );
      this.sshPort = await this.ssh.listen('0.0.0.0');
      this.options.log(`ssh server listening on port ${this.sshPort}`);
    }
    if (this.ssh) this.ssh.settings = settings;
  }

  /** What the heartbeat carries: setup, SSH sessions, apps and activity. */
  async report(): Promise<InstanceReport> {
    const jupyterRunning = this.jupyter?.running ?? false;
    return {
      setup: this.setup,
      ...(this.ssh && this.sshPort ? { ssh: { port: this.sshPort, sessions: this.ssh.openSessions() } } : {}),
      apps: [
        {
          name: 'jupyter',
          kind: 'jupyter',
          running: this.gatewayPort !== undefined,
          ...(this.jupyter?.error ? { error: this.jupyter.error } : {}),
          ...(jupyterRunning && this.jupyter?.port ? { port: this.jupyter.port } : {}),
        },
        { name: 'terminal', kind: 'terminal', running: this.gatewayPort !== undefined },
        ...this.apps.report(),
      ],
      jupyterKernels: (await this.jupyter?.kernels()) ?? 0,
      terminals: this.gateway?.terminalCount ?? 0,
      appToken: this.token,
      ...(this.gatewayPort ? { gatewayPort: this.gatewayPort } : {}),
    };
  }

  async stop(): Promise<void> {
    this.apps.stopAll();
    this.jupyter?.stop();
    await Promise.all([this.ssh?.close(), this.gateway?.close()]);
  }
}
