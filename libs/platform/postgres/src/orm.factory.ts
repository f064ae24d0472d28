import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import type { PostgresConfig } from '@tasklog/platform/config';
import type { Logger } from '@tasklog/platform/observability';
import { migrations } from './migrations/index.js';

export type Orm = MikroORM;

/**
 * Opens a MikroORM instance on the configured database and schema. Every
 * pooled connection gets the schema as its search_path, so raw SQL and
 * migrations address unqualified tables in the app's (or test's) schema.
 */
export async function createOrm(config: PostgresConfig, logger?: Logger, extra: Partial<Options> = {}): Promise<Orm> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(config.schema)) throw new Error(`invalid schema name: ${config.schema}`);
  const searchPath = config.schema === 'public' ? 'public' : `${config.schema},public`;
  return MikroORM.init({
    clientUrl: config.url,
    schema: config.schema,
    entities: [],
    discovery: { warnWhenNoEntities: false },
    extensions: [Migrator],
    migrations: {
      migrationsList: migrations,
      tableName: 'mikro_orm_migrations',
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      silent: true,
    },
    pool: { min: 0, max: config.poolMax },
    driverOptions: { options: `-c search_path=${searchPath} -c statement_timeout=${config.statementTimeoutMs}` },
    debug: false,
    logger: (message) => logger?.debug({ component: 'mikro-orm' }, message),
    ...extra,
  });
}

/** Creates the schema when needed and applies pending migrations (idempotent). */
export async function migrate(orm: Orm, schema: string): Promise<string[]> {
  await orm.em.getConnection().execute(`create schema if not exists "${schema}"`);
  const applied = await orm.migrator.up();
  return applied.map((m) => m.name);
}
