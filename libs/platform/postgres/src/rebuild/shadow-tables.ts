// The shadow read-model tables a rebuild loads, and the renames that swap
// them in. They come from the projection's own DDL (readModelDdl), split so
// the bulk load writes tables with primary keys only and the secondary
// indexes are built once afterwards (far cheaper than maintaining them row by
// row). Index names follow their table, so after a swap the live tables carry
// the canonical names again and the next rebuild's shadow names are free.
import {
  READ_MODEL_TABLES,
  dropReadModelDdl,
  readModelDdl,
  suffixedTables,
  type ReadModelTables,
} from '../read-model/read-model.tables.js';
import type { SqlClient } from '../read-model/sql-client.js';

export const SHADOW_TABLES: ReadModelTables = suffixedTables('_shadow');
/** Where the live tables go during the swap, dropped right after it. */
export const RETIRED_TABLES: ReadModelTables = suffixedTables('_old');

const isIndex = (statement: string) => /^\s*create index /i.test(statement);

export async function createShadowTables(client: SqlClient, tables: ReadModelTables = SHADOW_TABLES): Promise<void> {
  for (const statement of readModelDdl(tables).filter((s) => !isIndex(s))) await client.query(statement);
}

/** Idempotent: a resumed rebuild may have built some of them before it died. */
export async function buildShadowIndexes(client: SqlClient, tables: ReadModelTables = SHADOW_TABLES): Promise<void> {
  for (const statement of readModelDdl(tables).filter(isIndex)) {
    await client.query(statement.replace(/^\s*create index /i, 'create index if not exists '));
  }
  for (const table of Object.values(tables)) await client.query(`analyze ${table}`);
}

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
