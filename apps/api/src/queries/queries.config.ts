// Configuration of the API's queries module (part of the API's one schema).
import { readConfig, type EnvSource } from '@tasklog/platform/config';

export function queriesSection(source: EnvSource) {
  return readConfig({}, source);
}
export type QueriesConfig = ReturnType<typeof queriesSection>;
