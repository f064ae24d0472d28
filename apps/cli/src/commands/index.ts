import type { CliCommand } from './cli-command.js';
import { provisionCommand } from './provision.command.js';

export const commands: readonly CliCommand[] = [provisionCommand];
