import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { SshSession } from '../../domain/instances/instance.js';
import type { InstanceSshServer, PasswordHash } from './ssh-server.js';

/** What a cluster node is told about SSH with each heartbeat answer. */
export interface NodeSshConfig {
  user: string;
  authorizedKeys: string[];
  password?: PasswordHash;
}

/**
 * A cluster node's SSH server (a cluster created with SSH on): the instance SSH server, landing in
 * the node's job workspace folder (where each job's attempt folders are), for the cluster's admin user.
 */
export class NodeSsh {
  private server: InstanceSshServer | undefined;
  private port: number | undefined;
  private starting: Promise<void> | undefined;

  constructor(
    private readonly workDir: string,
    private readonly baseEnv: Record<string, string | undefined>,
    private readonly log: (line: string) => void,
  ) {}

  /** The job workspace folder: sessions, scp and sftp start here. */
  get folder(): string {
    return join(this.workDir, 'jobs');
  }

  async apply(config: NodeSshConfig): Promise<void> {
    const settings = {
      user: config.user,
      authorizedKeys: config.authorizedKeys,
      ...(config.password ? { password: config.password } : {}),
    };
    if (this.server) {
      this.server.settings = settings;
      return;
    }
    this.starting ??= (async () => {
      mkdirSync(this.folder, { recursive: true });
      // ssh2 is loaded here, not when the agent starts: most nodes never run an SSH server.
      const { InstanceSshServer } = await import('./ssh-server.js');
      // The host key lives in the agent's folder: a node keeps it across agent restarts.
      const server = new InstanceSshServer(this.workDir, this.folder, settings, this.baseEnv, this.log);
      this.port = await server.listen('0.0.0.0');
      this.server = server;
      this.log(`ssh server for cluster admin ${config.user} listening on port ${this.port}`);
    })().finally(() => (this.starting = undefined));
    await this.starting;
  }

  /** What the heartbeat carries: the port and open connections (absent until it listens). */
  report(): { port: number; sessions: SshSession[] } | undefined {
    return this.server && this.port ? { port: this.port, sessions: this.server.openSessions() } : undefined;
  }

  async stop(): Promise<void> {
    await this.server?.close();
  }
}
