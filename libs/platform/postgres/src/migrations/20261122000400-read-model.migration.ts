import { Migration } from '@mikro-orm/migrations';
import { dropReadModelDdl, readModelDdl } from '../read-model/read-model.tables.js';

/**
 * The task read models the projector writes and the queries read: the task
 * view, the per-task history index, per-user statistics and due reminders
 * (ADR 0014). The DDL lives beside the projection code so a rebuild creates
 * its shadow tables from the very same statements.
 */
export class Migration20261122000400ReadModel extends Migration {
  override async up(): Promise<void> {
    for (const statement of readModelDdl()) this.addSql(statement);
  }

  override async down(): Promise<void> {
    for (const statement of dropReadModelDdl()) this.addSql(statement);
  }
}
