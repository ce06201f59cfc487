import type { Command } from 'commander';
import { registerFileAssetCommands } from './file-asset-commands.js';

/** `hangar model create|show|list|update|archive|restore|download` (az ml model). */
export function registerModelCommands(program: Command): void {
  registerFileAssetCommands(program, 'model');
}
