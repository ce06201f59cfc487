import type { Command } from 'commander';
import { registerFileAssetCommands } from './file-asset-commands.js';

/** `hangar data create|show|list|update|archive|restore|download` (az ml data). */
export function registerDataCommands(program: Command): void {
  registerFileAssetCommands(program, 'data');
}
