import { Migration } from '@mikro-orm/migrations';

/**
 * Platform bookkeeping shared by every projection: the Kafka position each
 * projection has applied (written in the same transaction as its read-model
 * changes: that is what makes projections exactly-once) and the projection's
 * generation, which cache keys carry so a rebuild never serves stale entries.
 */
export class Migration20261122000001Platform extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table projection_offsets (
        projection text not null,
        topic text not null,
        partition integer not null,
        next_offset bigint not null,
        updated_at timestamptz not null default now(),
        primary key (projection, topic, partition)
      )`);
    this.addSql(`
      create table projection_generations (
        projection text primary key,
        generation integer not null default 1,
        updated_at timestamptz not null default now()
      )`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists projection_generations');
    this.addSql('drop table if exists projection_offsets');
  }
}
