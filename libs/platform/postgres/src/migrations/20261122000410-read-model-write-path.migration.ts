import { Migration } from '@mikro-orm/migrations';

/**
 * Brings read models created by the first version of 20261122000400 to the
 * current DDL (a no-op where they were created by it): fewer task-view
 * indexes and free space per page so that most updates are HOT, and the
 * history keyed by (task_id, version) alone (ADR 0014).
 */
export class Migration20261122000410ReadModelWritePath extends Migration {
  override async up(): Promise<void> {
    for (const index of ['owner_updated', 'owner_status', 'owner_completed', 'tags', 'search']) {
      this.addSql(`drop index if exists task_view_${index}_idx`);
    }
    this.addSql('alter table task_view set (fillfactor = 80)');
    this.addSql(`
      do $$
      begin
        if exists (select 1 from pg_constraint
                   where conrelid = 'task_history'::regclass and contype = 'p'
                     and pg_get_constraintdef(oid) like '%event_partition%') then
          alter table task_history drop constraint task_history_pkey;
          alter table task_history add constraint task_history_pkey primary key (task_id, version);
        end if;
      end $$`);
    this.addSql('drop index if exists task_history_task_idx');
  }
}
