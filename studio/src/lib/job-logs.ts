/** The log files of a job before the server lists them (an older server, or a job not yet read). */
const defaultLogFiles = ['user_logs/std_log.txt', 'system_logs/agent.txt'];

/** One entry of the job page's log picker: the file and what to call it. */
export interface LogChoice {
  file: string;
  label: string;
}

/**
 * The log files of a job as the job page offers them: every file the server lists (a distributed
 * job's `user_logs/std_log_process_<N>.txt` for each process, as Azure names them), labelled with
 * the process where there is one.
 */
export function logChoices(logFiles: unknown): LogChoice[] {
  const listed = Array.isArray(logFiles)
    ? logFiles.filter((f): f is string => typeof f === 'string')
    : defaultLogFiles;
  return (listed.length > 0 ? listed : defaultLogFiles).map((file) => {
    const process = /^user_logs\/std_log_process_(\d+)\.txt$/.exec(file)?.[1];
    return { file, label: process === undefined ? file : `Process ${process} (${file})` };
  });
}
