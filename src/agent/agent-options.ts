/** How `hangar agent` was started (flags only: the agent knows nothing of its provider). */
export interface AgentOptions {
  server: string;
  /** One-time node token (used once; the session token is kept in workDir/session.json). */
  token: string;
  workDir: string;
  /** Parallel job attempts (default: the node's cores). */
  slots?: number;
  nodeId?: string;
  /** Wheel folder for system-managed environments (pip --no-index --find-links). */
  pipFindLinks?: string;
  pipIndexUrl?: string;
  /** Interpreter for user-managed jobs (default /usr/bin/python3 when present). */
  python?: string;
  /** Runs inside a Slurm allocation (SIGTERM = preemption). */
  slurm?: boolean;
  /** Folders jobs must not see (the server's HANGAR_HOME on the local provider). */
  protect?: string[];
  /** Runs as a compute instance's node (SSH, Jupyter, terminal, custom apps, setup scripts). */
  instance?: { dir: string; jupyterCommand: string };
  /** Runs inside another program (`hangar job create` for the local target): never exits the process. */
  embedded?: boolean;
}
