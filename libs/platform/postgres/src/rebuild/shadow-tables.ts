// The shadow read-model tables a rebuild loads, and the renames that swap
// them in. They come from the projection's own DDL (readModelDdl), split so
// the bulk load writes tables with primary keys only and the secondary
// indexes are built once afterwards (far cheaper than maintaining them row by
// row). Index names follow their table, so after a swap the live tables carry
// the canonical names again and the next rebuild's shadow names are free.
// The bulk load writes the task view and history without their primary keys
// too (ADR 0027: it never writes a row twice); they are added back, built by
// one sort, with the secondary indexes, or before any upsert needs them.
import {
  READ_MODEL_TABLES,
  dropReadModelDdl,
  readModelDdl,
  suffixedTables,
  type ReadModelTables,
} from '../read-model/read-model.tables.js';
import type { SqlClient, SqlPool } from '../read-model/sql-client.js';

export const SHADOW_TABLES: ReadModelTables = suffixedTables('_shadow');
/** Where the live tables go during the swap, dropped right after it. */
export const RETIRED_TABLES: ReadModelTables = suffixedTables('_old');

const isIndex = (statement: string) => /^\s*create index /i.test(statement);

export async function createShadowTables(client: SqlClient, tables: ReadModelTables = SHADOW_TABLES): Promise<void> {
  for (const statement of readModelDdl(tables).filter((s) => !isIndex(s))) await client.query(statement);
}

/** The tables the bulk load fills without their primary key (COPY only, each row once). */
const KEY_DEFERRED: readonly (keyof ReadModelTables)[] = ['taskView', 'taskHistory'];

/** The primary-key columns the projection's DDL gives `table` (table or column constraint). */
function primaryKeyOf(tables: ReadModelTables, table: string): string {
  const ddl = readModelDdl(tables).find((s) => new RegExp(`^\\s*create table ${table} \\(`, 'i').test(s));
  const columns =
    /primary key\s*\(([^)]+)\)/i.exec(ddl ?? '')?.[1] ?? /^\s*(\w+)\s[^,\n]*\bprimary key\b/im.exec(ddl ?? '')?.[1];
  if (!columns) throw new Error(`no primary key found in the DDL of ${table}`);
  return columns;
}

/** Drops the primary keys of the bulk-loaded shadow tables (created a moment ago, empty). */
export async function deferShadowKeys(client: SqlClient, tables: ReadModelTables = SHADOW_TABLES): Promise<void> {
  for (const key of KEY_DEFERRED) {
    primaryKeyOf(tables, tables[key]);
    await client.query(`alter table ${tables[key]} drop constraint if exists ${tables[key]}_pkey`);
  }
}

/** Adds back the primary keys deferShadowKeys dropped (of `only` when given); idempotent. */
export async function restoreShadowKeys(
  client: SqlClient,
  tables: ReadModelTables = SHADOW_TABLES,
  only?: string,
): Promise<void> {
  for (const key of KEY_DEFERRED) {
    const table = tables[key];
    if (only !== undefined && table !== only) continue;
    const { rows } = await client.query<{ n: number }>(
      `select count(*)::int as n from pg_constraint where conrelid = $1::regclass and contype = 'p'`,
      [table],
    );
    if (rows[0]!.n === 0)
      await client.query(
        `alter table ${table} add constraint ${table}_pkey primary key (${primaryKeyOf(tables, table)})`,
      );
  }
}

/**
 * The primary keys deferred by the load, the secondary indexes, `analyze`:
 * one table per connection, the tables at once (the task view's and the
 * history's sorts on two cores), with room for the sorts in memory.
 * Idempotent: a resumed rebuild may have built some of them before it died.
 */
export async function buildShadowIndexes(
  client: SqlClient & Partial<Pick<SqlPool, 'connect'>>,
  tables: ReadModelTables = SHADOW_TABLES,
): Promise<void> {
  const indexes = readModelDdl(tables).filter(isIndex);
  const build = async (c: SqlClient, table: string) => {
    await restoreShadowKeys(c, tables, table);
    for (const statement of indexes.filter((s) => new RegExp(` on ${table} `, 'i').test(s))) {
      await c.query(statement.replace(/^\s*create index /i, 'create index if not exists '));
    }
    await c.query(`analyze ${table}`);
  };
  if (!client.connect) {
    for (const table of Object.values(tables)) await build(client, table);
    return;
  }
  const pool = client as SqlPool;
  await Promise.all(
    Object.values(tables).map(async (table) => {
      const c = await pool.connect();
      try {
        await c.query(`set maintenance_work_mem = '${SORT_MEMORY}'`);
        await build(c, table);
      } finally {
        await c.query('reset maintenance_work_mem').catch(() => undefined);
        c.release();
      }
    }),
  );
}

/** Sort memory of an index build (the server's default, 64 MB, spills the history key's sort to disk). */
const SORT_MEMORY = '256MB';

export async function dropTables(client: SqlClient, tables: ReadModelTables): Promise<void> {
  for (const statement of dropReadModelDdl(tables)) await client.query(statement);
}

export async function shadowTablesExist(client: SqlClient, tables: ReadModelTables = SHADOW_TABLES): Promise<boolean> {
  const { rows } = await client.query<{ n: number }>(
    `select count(*)::int as n from pg_tables where schemaname = current_schema() and tablename = any($1::text[])`,
    [Object.values(tables)],
  );
  return rows[0]?.n === Object.values(tables).length;
}

/** Live → retired, shadow → live, indexes and primary keys renamed with their tables. */
export async function renameShadowIntoLive(client: SqlClient): Promise<void> {
  const keys = Object.keys(READ_MODEL_TABLES) as (keyof ReadModelTables)[];
  for (const key of keys) await renameTable(client, READ_MODEL_TABLES[key], RETIRED_TABLES[key]);
  for (const key of keys) await renameTable(client, SHADOW_TABLES[key], READ_MODEL_TABLES[key]);
}

async function renameTable(client: SqlClient, from: string, to: string): Promise<void> {
  const { rows } = await client.query<{ indexname: string }>(
    'select indexname from pg_indexes where schemaname = current_schema() and tablename = $1',
    [from],
  );
  await client.query(`alter table ${from} rename to ${to}`);
  for (const { indexname } of rows) {
    if (indexname.startsWith(from))
      await client.query(`alter index ${indexname} rename to ${to}${indexname.slice(from.length)}`);
  }
}
