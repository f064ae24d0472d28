import { Migration } from '@mikro-orm/migrations';

/**
 * API keys of the HTTP edge. Only the hex SHA-256 digest of the key's secret is
 * stored (ADR 0005); `id` is the public prefix that lets a key be found,
 * listed and revoked without the secret.
 */
export class Migration20261122000300ApiKeys extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table api_keys (
        id text primary key,
        secret_hash text not null,
        user_id text not null,
        scopes text[] not null,
        name text,
        created_at timestamptz not null default now(),
        revoked_at timestamptz,
        last_used_at timestamptz
      )`);
    this.addSql('create index api_keys_user_id_idx on api_keys (user_id)');
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists api_keys');
  }
}
