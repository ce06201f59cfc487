/** How `hangar agent` was started (flags only: the agent knows nothing of its provider). */
export interface AgentOptions {
  server: string;
  /** One-time node token (used once; the session token is kept in workDir/session.json). Given in-process only. */
  token?: string;
  /** A file holding the one-time node token (0600): read and deleted at start, so the token is never on a command line. */
  tokenFile?: string;
  workDir: string;
  /** Parallel job attempts (default: the node's cores). */
  slots?: number;
  nodeId?: string;
  /** Wheel folder for system-managed environments (pip --no-index --find-links). */
  pipFindLinks?: string;
  pipIndexUrl?: string;
  /** The host's GPUs this node holds (nvidia-smi indices); absent: every GPU found is the node's. */
  gpus?: number[];
  /** Interpreter for user-managed jobs (default /usr/bin/python3 when present). */
  python?: string;
  /** Runs inside a Slurm allocation (SIGTERM = preemption). */
  slurm?: boolean;
  /** Folders jobs must not see besides the agent's own (the server's HANGAR_HOME on the local provider). */
  protect?: string[];
  /** OS user jobs run as when the agent runs as root (default hangar-job, else nobody). */
  jobUser?: string;
  /** Run jobs without the sandbox where it cannot be used, instead of refusing them (insecure). */
  insecureNoSandbox?: boolean;
  /** Names of the agent's variables jobs also get (the operator's allowlist; none by default). */
  jobEnv?: string[];
  /** Runs as a compute instance's node (SSH, Jupyter, terminal, custom apps, setup scripts). */
  instance?: { dir: string; jupyterCommand: string };
  /**
   * Runs inside another program (`hangar job create` for the local target): never exits the
   * process, and runs the submitter's own job as the submitter, without the sandbox.
   */
  embedded?: boolean;
}
