// PostgreSQL through MikroORM 7: the ORM factory every app uses, the
// migration list run at start (Migrator), and schema helpers for tests.
export { createOrm, migrate, type Orm } from './orm.factory.js';
export { migrations } from './migrations/index.js';
