// The bulk SQL path of the read models: the `pg` pool behind MikroORM's own
// connection (same configuration, search_path and statement timeout), used
// for multi-row unnest upserts that the ORM's unit of work cannot do fast
// enough (DESIGN.md §1: upsertMany ≈ 11k rows/s here).
import { createHash } from 'node:crypto';
import type { PostgreSqlConnection } from '@mikro-orm/postgresql';
import type { Orm } from '../orm.factory.js';

export interface SqlResult<R> {
  readonly rows: R[];
  readonly rowCount: number | null;
}

/** What the read-model code needs of a `pg` client: positional ($1…) parameters. */
export interface SqlClient {
  query<R = Record<string, unknown>>(text: string, values?: readonly unknown[]): Promise<SqlResult<R>>;
  query<R = Record<string, unknown>>(statement: NamedStatement): Promise<SqlResult<R>>;
}

/** A statement `pg` prepares once per connection, under its name, and then only binds and executes. */
export interface NamedStatement {
  readonly name: string;
  readonly text: string;
  readonly values: readonly unknown[];
}

const statementNames = new Map<string, string>();

/**
 * `text` as a named statement: PostgreSQL parses it once per connection
 * and, after a few executions, plans it once too (a generic plan). Only for
 * hot statements whose best plan does not depend on the values, such as a
 * lookup by primary key: on 1M tasks that took a lookup from 0.27 to 0.20 ms
 * on average (ADR 0056). The name is derived from the text, so texts that
 * differ (another schema's tables) never share one.
 */
export function namedStatement(text: string, values: readonly unknown[]): NamedStatement {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `tasklog_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
    statementNames.set(text, name);
  }
  return { name, text, values };
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

export interface TransactionOptions {
  /**
   * false: the commit returns before its WAL is flushed to disk (PostgreSQL's
   * `synchronous_commit = off`, for this transaction only). A crash of the
   * database may then lose the last few commits — never a part of one — so
   * this is for work that is re-derived from its source when lost, such as
   * a projection whose positions commit with it (ADR 0034).
   */
  readonly synchronousCommit?: boolean;
  /** `work_mem` for this transaction (e.g. '64MB'): big bulk statements then keep their rows in memory. */
  readonly workMem?: string;
}

const SETTING_VALUE = /^[0-9]+[kMG]?B$/;

/** The statements that open a transaction with these options (simple SQL, several in one message). */
export function beginStatement(options: TransactionOptions = {}): string {
  const begin = ['begin'];
  if (options.synchronousCommit === false) begin.push('set local synchronous_commit = off');
  if (options.workMem !== undefined) {
    if (!SETTING_VALUE.test(options.workMem)) throw new Error(`invalid work_mem ${options.workMem}`);
    begin.push(`set local work_mem = '${options.workMem}'`);
  }
  return begin.join('; ');
}

/**
 * Runs `work` in one transaction on one pooled connection; a failed
 * connection is discarded. With `deferBegin`, `work` receives the opening
 * statements instead and must send them first — together with its own first
 * statement, to save a round trip.
 */
export async function inTransaction<T>(
  pool: SqlPool,
  work: (client: SqlClient, begin: string | null) => Promise<T>,
  options: TransactionOptions & { readonly deferBegin?: boolean } = {},
): Promise<T> {
  const client = await pool.connect();
  try {
    const begin = beginStatement(options);
    if (options.deferBegin !== true) await client.query(begin);
    const result = await work(client, options.deferBegin === true ? begin : null);
    await client.query('commit');
    client.release();
    return result;
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    client.release(error instanceof Error ? error : true);
    throw error;
  }
}
