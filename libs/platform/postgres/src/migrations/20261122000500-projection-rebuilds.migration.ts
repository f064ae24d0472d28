import { Migration } from '@mikro-orm/migrations';

/**
 * Bookkeeping of projection rebuilds (ADR 0020): one row per rebuild with
 * its state machine. The partial unique index allows at most one unfinished
 * rebuild per projection whatever happens to the runners; the runner's
 * advisory lock (held for its whole run) is what tells a live rebuild from
 * one whose process died and may be resumed.
 */
export class Migration20261122000500ProjectionRebuilds extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table projection_rebuilds (
        rebuild_id text primary key,
        projection text not null,
        state text not null
          check (state in ('building', 'catching-up', 'swapping', 'done', 'cancelled', 'failed')),
        requested_by text,
        started_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        finished_at timestamptz,
        swap_offsets jsonb,
        generation integer,
        error text
      )`);
    this.addSql(`
      create unique index projection_rebuilds_one_unfinished_idx on projection_rebuilds (projection)
      where state in ('building', 'catching-up', 'swapping', 'failed')`);
    this.addSql('create index projection_rebuilds_started_idx on projection_rebuilds (projection, started_at desc)');
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists projection_rebuilds');
  }
}
