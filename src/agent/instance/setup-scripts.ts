import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SetupReport } from '../../domain/instances/instance.js';

const TAIL_BYTES = 8192;

/**
 * Runs an instance's setup scripts: the creation script once in the instance's life (a marker in
 * the instance folder remembers it), the startup script at every start. Output is appended to
 * `setup.log` in the instance folder, which outlives nodes; the first failure stops the setup.
 */
export async function runSetupScripts(
  instanceDir: string,
  home: string,
  env: Record<string, string>,
  scripts: { creationScript?: string; startupScript?: string },
  progress: (r: SetupReport) => void,
): Promise<SetupReport> {
  const logFile = join(instanceDir, 'setup.log');
  const tail = (): string => {
    if (!existsSync(logFile)) return '';
    const text = readFileSync(logFile, 'utf8');
    return text.length > TAIL_BYTES ? text.slice(-TAIL_BYTES) : text;
  };
  const marker = join(instanceDir, 'creation-script.done');
  const steps: { name: 'creationScript' | 'startupScript'; script: string }[] = [];
  if (scripts.creationScript && !existsSync(marker))
    steps.push({ name: 'creationScript', script: scripts.creationScript });
  if (scripts.startupScript) steps.push({ name: 'startupScript', script: scripts.startupScript });
  for (const step of steps) {
    appendFileSync(logFile, `=== ${step.name} started ${new Date().toISOString()}\n`);
    progress({ phase: 'running', log: tail() });
    const code = await runScript(step.script, home, env, logFile);
    appendFileSync(logFile, `=== ${step.name} ended with exit code ${code}\n`);
    if (code !== 0) return { phase: 'failed', log: tail(), failedScript: step.name };
    if (step.name === 'creationScript') writeFileSync(marker, new Date().toISOString());
  }
  return { phase: 'succeeded', log: tail() };
}

function runScript(
  script: string,
  cwd: string,
  env: Record<string, string>,
  logFile: string,
): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-e', '-c', script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const write = (d: Buffer): void => appendFileSync(logFile, d);
    child.stdout.on('data', write);
    child.stderr.on('data', write);
    child.on('error', (err) => {
      appendFileSync(logFile, `${err.message}\n`);
      resolve(127);
    });
    child.on('close', (code) => resolve(code ?? 1));
  });
}
