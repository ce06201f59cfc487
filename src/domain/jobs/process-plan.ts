import { logJobName, rankJobName, type Distribution, type JobRecord } from './job-record.js';
import { distributionEnv, parseDistribution, processEnv, processesPerNode } from './distribution.js';

/**
 * Where a node's processes write their own logs, relative to the job's working folder (the one
 * folder a container also sees). The agent ships each file as `user_logs/std_log_process_<rank>.txt`.
 */
export const processLogDir = '.hangar/logs';

/** Azure ML's name for the log of the process of global rank `rank`. */
export function processLogFile(rank: number): string {
  return `user_logs/std_log_process_${rank}.txt`;
}

/** The global rank a `user_logs/std_log_process_<N>.txt` name is for; undefined for any other name. */
export function processLogRank(file: string): number | undefined {
  const m = /^user_logs\/std_log_process_(\d{1,6})\.txt$/.exec(file);
  return m ? Number(m[1]) : undefined;
}

/** One process a node starts. */
export interface PlannedProcess {
  /** Global rank (RANK). */
  rank: number;
  localRank: number;
  /** Its log as the server names it: user_logs/std_log_process_<rank>.txt. */
  log: string;
  /** Variables of this process only (RANK, LOCAL_RANK, OMPI_COMM_WORLD_RANK, TF_CONFIG…). */
  env: Record<string, string>;
}

/** What one node of a distributed job runs: node-wide variables and its ranked processes. */
export interface NodePlan {
  env: Record<string, string>;
  processes: PlannedProcess[];
}

/**
 * The processes node `nodeRank` of a job starts, with their variables, as Azure ML starts them:
 * `processesPerNode` copies of the command per node, global rank = node rank × per node + local
 * rank, each logging to its own std_log_process_<rank>.txt. `hosts` are the nodes in rank order.
 * Undefined for a job without distribution (one process, user_logs/std_log.txt only).
 */
export function planNode(
  d: Distribution,
  jobName: string,
  nodeRank: number,
  hosts: readonly string[],
): NodePlan | undefined {
  if (d.type === 'none') return undefined;
  const perNode = processesPerNode(d, hosts.length);
  const processes: PlannedProcess[] = [];
  for (let localRank = 0; localRank < perNode; localRank++) {
    const rank = nodeRank * perNode + localRank;
    processes.push({
      rank,
      localRank,
      log: processLogFile(rank),
      env: processEnv(d, nodeRank, localRank, hosts, jobName),
    });
  }
  return { env: distributionEnv(d, jobName, nodeRank, hosts), processes };
}

/** Every log file a job has, for listing: std_log.txt, one per process, the agent's. */
export function jobLogFiles(d: Distribution, instanceCount: number): string[] {
  const n = d.type === 'none' ? 0 : processesPerNode(d, instanceCount) * instanceCount;
  return [
    'user_logs/std_log.txt',
    ...Array.from({ length: n }, (_, rank) => processLogFile(rank)),
    'system_logs/agent.txt',
  ];
}

/** The node rank whose log folder holds process `rank`'s log. */
export function nodeOfProcess(d: Distribution, instanceCount: number, rank: number): number {
  return Math.floor(rank / processesPerNode(d, instanceCount));
}

/** Bash that gives a process the GPUs the agent set aside for its local rank, when it did. */
const gpuShare = (localRank: number): string =>
  `if [ -n "\${HANGAR_GPUS_LOCAL_RANK_${localRank}+x}" ]; then export CUDA_VISIBLE_DEVICES="$HANGAR_GPUS_LOCAL_RANK_${localRank}"; fi;`;

/** Single-quotes a value for bash. */
const shq = (v: string): string => `'${v.replace(/'/g, `'\\''`)}'`;

/**
 * The bash script a node runs for `processes`: starts each with its variables, its output going
 * both to the node's log (stdout, user_logs/std_log.txt as before) and to its own file under
 * processLogDir; stops them all (SIGTERM) once one fails and writes "<rank> <code>" of the first
 * failure to `first_failure` there. The user's command travels in HANGAR_USER_COMMAND.
 *
 * Signals: the launcher keeps running through a SIGTERM sent to the group (its trap is a no-op),
 * so the processes get their grace period; `tee` ignores it, so what a handler prints is kept.
 */
export function launcherScript(processes: readonly PlannedProcess[]): string {
  const lines = [
    "trap ':' TERM INT",
    `D=${shq(processLogDir)}; mkdir -p "$D"; rm -f "$D/first_failure"`,
    'pids=(); tees=(); ranks=()',
  ];
  for (const p of processes) {
    const exports = Object.entries(p.env)
      .map(([k, v]) => `${k}=${shq(v)}`)
      .join(' ');
    lines.push(
      `r=${p.rank}; f="$D/std_log_process_$r.txt"; q="$D/.pipe_$r"; rm -f "$q"; mkfifo "$q"`,
      `(trap '' TERM INT; exec tee -a "$f" < "$q") & tees+=($!)`,
      // The agent names each local rank's share of the node's GPUs (gpuForProcess); without it every process sees the node's.
      `(export ${exports}; ${gpuShare(p.localRank)} exec /bin/bash -c "$HANGAR_USER_COMMAND" > "$q" 2>&1) & pids+=($!); ranks+=($r)`,
    );
  }
  // Polls rather than `wait -n`, whose 127 for "no child left" cannot be told from a real exit 127.
  lines.push(
    'status=0; left=${#pids[@]}',
    'while [ $left -gt 0 ]; do',
    '  for i in "${!pids[@]}"; do',
    '    p=${pids[$i]}',
    '    if [ -z "$p" ] || kill -0 "$p" 2>/dev/null; then continue; fi',
    '    wait "$p"; s=$?; pids[$i]=""; left=$((left-1))',
    '    if [ $s -ne 0 ] && [ $status -eq 0 ]; then',
    '      status=$s; echo "${ranks[$i]} $s" > "$D/first_failure"',
    '      for o in "${pids[@]}"; do [ -n "$o" ] && kill -TERM "$o" 2>/dev/null; done',
    '    fi',
    '  done',
    '  [ $left -gt 0 ] && sleep 0.05',
    'done',
    // Every tee reads its process's last words before the node reports the end; a tee still held
    // open by something the process left running is stopped after 2 s (the node kills the rest).
    'for ((k=0; k<40; k++)); do alive=0; for t in "${tees[@]}"; do kill -0 "$t" 2>/dev/null && alive=1; done; [ $alive = 0 ] && break; sleep 0.05; done',
    'for t in "${tees[@]}"; do kill -KILL "$t" 2>/dev/null; wait "$t" 2>/dev/null; done',
    'rm -f "$D"/.pipe_*',
    'exit $status',
  );
  return lines.join('\n');
}

/** Reads the launcher's `first_failure` line ("<rank> <code>"); undefined when malformed. */
export function parseFirstFailure(text: string): { rank: number; exitCode: number } | undefined {
  const m = /^(\d{1,6}) (\d{1,3})\s*$/.exec(text);
  return m ? { rank: Number(m[1]), exitCode: Number(m[2]) } : undefined;
}

/** A job's distribution as planned: a multi-node job's stored one, else its spec's (validated at submission). */
export function distributionOf(job: Pick<JobRecord, 'gang' | 'spec' | 'run'>): Distribution {
  if (job.gang) return job.gang.distribution;
  try {
    return parseDistribution(
      job.spec.distribution as Record<string, unknown> | undefined,
      job.run.instanceCount,
    );
  } catch {
    return { type: 'none', processCountPerInstance: 1 };
  }
}

/** The log files `job show` lists for a job. */
export function logFilesOf(job: Pick<JobRecord, 'gang' | 'spec' | 'run'>): string[] {
  return jobLogFiles(distributionOf(job), job.gang?.size ?? job.run.instanceCount);
}

/**
 * Which job's log folder holds `file` of `job`: a multi-node job's process logs are on the rank
 * job of the node that ran the process; its std_log.txt is rank 0's (as Azure shows the first node's).
 */
export function logSourceJob(job: Pick<JobRecord, 'name' | 'gang' | 'pipelineStep'>, file: string): string {
  // A reused pipeline step ran nothing: its logs are those of the run whose outputs it took.
  if (job.pipelineStep?.reusedFrom) return job.pipelineStep.reusedFrom;
  const rank = processLogRank(file);
  if (!job.gang || job.gang.parent !== undefined || rank === undefined) return logJobName(job);
  return rankJobName(
    job.name,
    Math.min(job.gang.size - 1, nodeOfProcess(job.gang.distribution, job.gang.size, rank)),
  );
}
