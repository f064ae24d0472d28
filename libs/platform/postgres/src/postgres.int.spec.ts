import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase } from '../../../testing/src/infra.js';
import { migrate } from './orm.factory.js';
import { namedStatement, sqlPool } from './read-model/sql-client.js';

describe('PostgreSQL through MikroORM (real, local)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('runs a query through the ORM connection', async () => {
    const rows = await db.orm.em.getConnection().execute<{ answer: number }[]>('select 40 + 2 as answer');
    expect(rows).toEqual([{ answer: 42 }]);
  });

  it('applied the migrations in the test schema, and applies nothing twice', async () => {
    const tables = await db.orm.em
      .getConnection()
      .execute<{ table_name: string }[]>(
        `select table_name from information_schema.tables where table_schema = ? order by table_name`,
        [db.schema],
      );
    expect(tables.map((t) => t.table_name)).toEqual(
      expect.arrayContaining(['mikro_orm_migrations', 'projection_generations', 'projection_offsets']),
    );
    expect(await migrate(db.orm, db.schema)).toEqual([]);
  });

  it('writes rows with the Kysely builder inside a transaction, and rolls back on error', async () => {
    await db.orm.em.transactional(async (em) => {
      await em
        .getKysely<{
          projection_offsets: { projection: string; topic: string; partition: number; next_offset: number };
        }>()
        .insertInto('projection_offsets')
        .values({ projection: 'smoke', topic: 't', partition: 0, next_offset: 7 })
        .execute();
    });
    await expect(
      db.orm.em.transactional(async (em) => {
        await em.execute(
          `insert into projection_offsets (projection, topic, partition, next_offset) values ('smoke', 't', 1, 9)`,
        );
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    const rows = await db.orm.em
      .getConnection()
      .execute('select next_offset from projection_offsets where projection = ? order by partition', ['smoke']);
    expect(rows).toEqual([{ next_offset: '7' }]);
  });

  it('prepares a named statement once per connection, and follows a table swapped under it by renames', async () => {
    const client = await (await sqlPool(db.orm)).connect();
    const table = `"${db.schema}".named_probe`;
    const lookup = (id: number) =>
      client.query<{ label: string }>(namedStatement(`select label from ${table} where id = $1`, [id]));
    try {
      await client.query(`create table ${table} (id int primary key, label text)`);
      await client.query(`insert into ${table} values (1, 'old'), (2, 'two')`);
      // Enough executions for PostgreSQL to settle on a generic plan.
      for (let i = 0; i < 8; i++) expect((await lookup(1 + (i % 2))).rows[0]?.label).toBe(i % 2 === 0 ? 'old' : 'two');
      const prepared = await client.query<{ count: number }>(
        `select count(*)::int as count from pg_prepared_statements where statement like '%named_probe%'`,
      );
      expect(prepared.rows[0]?.count).toBe(1);
      // A projection swap (ADR 0021) renames tables: the statement must read the new one.
      await client.query(`alter table ${table} rename to named_probe_old`);
      await client.query(`create table ${table} (id int primary key, label text)`);
      await client.query(`insert into ${table} values (1, 'new')`);
      expect((await lookup(1)).rows[0]?.label).toBe('new');
    } finally {
      client.release();
    }
  });
});
