// The bulk SQL path of the read models: the `pg` pool behind MikroORM's own
// connection (same configuration, search_path and statement timeout), used
// for multi-row unnest upserts that the ORM's unit of work cannot do fast
// enough (DESIGN.md §1: upsertMany ≈ 11k rows/s here).
import type { PostgreSqlConnection } from '@mikro-orm/postgresql';
import type { Orm } from '../orm.factory.js';

export interface SqlResult<R> {
  readonly rows: R[];
  readonly rowCount: number | null;
}

/** What the read-model code needs of a `pg` client: positional ($1…) parameters. */
export interface SqlClient {
  query<R = Record<string, unknown>>(text: string, values?: readonly unknown[]): Promise<SqlResult<R>>;
}

export interface PooledSqlClient extends SqlClient {
  /** Pass the error to discard a broken connection instead of returning it to the pool. */
  release(error?: Error | boolean): void;
  on(event: 'notification', listener: (message: { channel: string; payload?: string }) => void): unknown;
  on(event: 'error' | 'end', listener: (error?: Error) => void): unknown;
  removeAllListeners(event?: string): unknown;
}

export interface SqlPool extends SqlClient {
  connect(): Promise<PooledSqlClient>;
}

/** The ORM's `pg` pool. */
export async function sqlPool(orm: Orm): Promise<SqlPool> {
  return (await (orm.em.getConnection() as PostgreSqlConnection).getNativeClient()) as unknown as SqlPool;
}

/** Runs `work` in one transaction on one pooled connection; a failed connection is discarded. */
export async function inTransaction<T>(pool: SqlPool, work: (client: SqlClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    const result = await work(client);
    await client.query('commit');
    client.release();
    return result;
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    client.release(error instanceof Error ? error : true);
    throw error;
  }
}
