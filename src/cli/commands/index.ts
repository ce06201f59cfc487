import type { Command } from 'commander';

/** Registers the API client commands (compute, job, environment, configure). */
export function registerClientCommands(_program: Command): void {
  // Filled in as command groups land.
}
