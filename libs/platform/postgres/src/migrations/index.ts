// Every migration, in order. Listed explicitly (no glob) so the same list
// runs under jest, from the built dist/ and in a container image.
import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261122000001Platform } from './20261122000001-platform.migration.js';
import { Migration20261122000300ApiKeys } from './20261122000300-api-keys.migration.js';
import { Migration20261122000400ReadModel } from './20261122000400-read-model.migration.js';
import { Migration20261122000410ReadModelWritePath } from './20261122000410-read-model-write-path.migration.js';
import { Migration20261122000500ProjectionRebuilds } from './20261122000500-projection-rebuilds.migration.js';

export const migrations: MigrationObject[] = [
  { name: 'Migration20261122000001Platform', class: Migration20261122000001Platform },
  { name: 'Migration20261122000300ApiKeys', class: Migration20261122000300ApiKeys },
  { name: 'Migration20261122000400ReadModel', class: Migration20261122000400ReadModel },
  { name: 'Migration20261122000410ReadModelWritePath', class: Migration20261122000410ReadModelWritePath },
  { name: 'Migration20261122000500ProjectionRebuilds', class: Migration20261122000500ProjectionRebuilds },
];
