// Typed, validated configuration read once at boot (STYLE.md rule 6). Each
// app composes the sections it needs into one schema; every problem is
// reported at once, and nothing else in the code base reads process.env.
export { ConfigError, readConfig, env } from './env.reader.js';
export type { EnvSource, Field } from './env.reader.js';
export {
  kafkaSection,
  postgresSection,
  redisSection,
  type KafkaConfig,
  type PostgresConfig,
  type RedisConfig,
} from './sections.js';
