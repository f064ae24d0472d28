// The API's one typed configuration schema (STYLE.md rule 6), read at boot.
// Every variable and its default is listed in docs/configuration.md.
import { kafkaSection, postgresSection, redisSection, type EnvSource } from '@tasklog/platform/config';
import { authSection, httpSection, rateLimitSection } from '@tasklog/platform/http';
import { tracingSection } from '@tasklog/platform/observability';
import { commandsSection } from './commands/commands.config.js';
import { queriesSection } from './queries/queries.config.js';

export function apiConfig(source: EnvSource) {
  return {
    http: httpSection(source),
    auth: authSection(source),
    rateLimits: rateLimitSection(source),
    postgres: postgresSection(source),
    redis: redisSection(source),
    kafka: kafkaSection(source),
    tracing: tracingSection(source),
    commands: commandsSection(source),
    queries: queriesSection(source),
  };
}
export type ApiConfig = ReturnType<typeof apiConfig>;
