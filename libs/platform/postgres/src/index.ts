// PostgreSQL through MikroORM 7: the ORM factory every app uses, the
// migration list run at start (Migrator), and schema helpers for tests.
export { createOrm, migrate, type Orm } from './orm.factory.js';
export { migrations } from './migrations/index.js';
// The task read models (ADR 0014–0017): tables, the idempotent batch
// projection, positions, the Redis cache-aside and the queries. Shared by the
// projector, the API's queries module and the rebuild/verify tooling.
export * from './read-model/read-model.tables.js';
export * from './read-model/sql-client.js';
export * from './read-model/task-row.codec.js';
export * from './read-model/task-batch.fold.js';
export { PROJECTION_CHANNEL, batchWriteStatement, type PositionUpdate } from './read-model/task-events.sql.js';
export * from './read-model/task-events.projection.js';
export * from './read-model/projection-positions.js';
export * from './read-model/task-view.cache.js';
export * from './read-model/task-list.query.js';
export * from './read-model/task-view.queries.js';
// Projection rebuild, swap, verify and status (ADR 0020–0022).
export * from './rebuild/projection-rebuild.store.js';
export * from './rebuild/projection-rebuild.runner.js';
export * from './rebuild/projection-swap.js';
export * from './rebuild/projection-verify.js';
export * from './rebuild/projection-status.js';
export * from './rebuild/shadow-tables.js';
export { TableDigest } from './rebuild/read-model.digest.js';
