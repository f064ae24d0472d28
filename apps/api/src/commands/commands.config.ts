// Configuration of the API's commands module (part of the API's one schema).
import { readConfig, type EnvSource } from '@tasklog/platform/config';

export function commandsSection(source: EnvSource) {
  return readConfig({}, source);
}
export type CommandsConfig = ReturnType<typeof commandsSection>;
