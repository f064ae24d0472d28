import type { CliCommand } from './cli-command.js';
import { provisionCommand } from './provision.command.js';
import { consumersResetCommand } from './consumers-reset.command.js';
import { authTokenCommand } from './auth-token.command.js';
import { apiKeysCreateCommand, apiKeysListCommand, apiKeysRevokeCommand } from './api-keys.command.js';
import { projectionsRebuildCommand } from './projections-rebuild.command.js';
import { projectionsVerifyCommand } from './projections-verify.command.js';
import { projectionsCancelCommand, projectionsStatusCommand } from './projections-status.command.js';

export const commands: readonly CliCommand[] = [
  provisionCommand,
  consumersResetCommand,
  authTokenCommand,
  apiKeysCreateCommand,
  apiKeysListCommand,
  apiKeysRevokeCommand,
  projectionsRebuildCommand,
  projectionsVerifyCommand,
  projectionsStatusCommand,
  projectionsCancelCommand,
];
