// The projection_rebuilds rows (the rebuild state machine, ADR 0020) and the
// advisory lock a runner holds for its whole run. The lock lives on one
// dedicated connection: when the runner's process dies the connection
// closes, the lock goes with it, and the next request resumes the rebuild.
import { randomUUID } from 'node:crypto';
import type { PooledSqlClient, SqlClient, SqlPool } from '../read-model/sql-client.js';

export type RebuildState = 'building' | 'catching-up' | 'swapping' | 'done' | 'cancelled' | 'failed';

/** States a rebuild can be resumed from (a runner may or may not be on it). */
export const UNFINISHED_STATES: readonly RebuildState[] = ['building', 'catching-up', 'swapping', 'failed'];

export interface RebuildRow {
  readonly rebuildId: string;
  readonly projection: string;
  readonly state: RebuildState;
  readonly requestedBy: string | null;
  readonly startedAt: string;
  readonly updatedAt: string;
  readonly finishedAt: string | null;
  /** The offset vector at which the shadow tables replaced the live ones. */
  readonly swapOffsets: Record<string, string> | null;
  readonly generation: number | null;
  readonly error: string | null;
}

const COLUMNS = `rebuild_id, projection, state, requested_by,
  to_char(started_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as started_at,
  to_char(updated_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as updated_at,
  to_char(finished_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as finished_at,
  swap_offsets, generation, error`;

interface Raw {
  rebuild_id: string;
  projection: string;
  state: RebuildState;
  requested_by: string | null;
  started_at: string;
  updated_at: string;
  finished_at: string | null;
  swap_offsets: Record<string, string> | null;
  generation: number | null;
  error: string | null;
}

function fromRaw(r: Raw): RebuildRow {
  return {
    rebuildId: r.rebuild_id,
    projection: r.projection,
    state: r.state,
    requestedBy: r.requested_by,
    startedAt: r.started_at,
    updatedAt: r.updated_at,
    finishedAt: r.finished_at,
    swapOffsets: r.swap_offsets,
    generation: r.generation,
    error: r.error,
  };
}

export async function latestRebuild(client: SqlClient, projection: string): Promise<RebuildRow | undefined> {
  const { rows } = await client.query<Raw>(
    `select ${COLUMNS} from projection_rebuilds where projection = $1 order by started_at desc, rebuild_id desc limit 1`,
    [projection],
  );
  return rows[0] && fromRaw(rows[0]);
}

export async function findRebuild(client: SqlClient, rebuildId: string): Promise<RebuildRow | undefined> {
  const { rows } = await client.query<Raw>(`select ${COLUMNS} from projection_rebuilds where rebuild_id = $1`, [
    rebuildId,
  ]);
  return rows[0] && fromRaw(rows[0]);
}

export async function insertRebuild(
  client: SqlClient,
  projection: string,
  requestedBy: string | null,
): Promise<RebuildRow> {
  const { rows } = await client.query<Raw>(
    `insert into projection_rebuilds (rebuild_id, projection, state, requested_by) values ($1, $2, 'building', $3)
     returning ${COLUMNS}`,
    [randomUUID(), projection, requestedBy],
  );
  return fromRaw(rows[0]!);
}

/** Moves an unfinished rebuild on; false when it was cancelled (or finished) meanwhile. */
export async function advanceRebuild(
  client: SqlClient,
  rebuildId: string,
  state: RebuildState,
  error: string | null = null,
): Promise<boolean> {
  const { rowCount } = await client.query(
    `update projection_rebuilds set state = $2, error = $3, updated_at = now(),
       finished_at = case when $2 in ('done', 'cancelled') then now() end
     where rebuild_id = $1 and state = any($4::text[])`,
    [rebuildId, state, error, UNFINISHED_STATES],
  );
  return (rowCount ?? 0) > 0;
}

/** Marks the projection's unfinished rebuild cancelled; the row, or undefined when there was none. */
export async function cancelRebuild(client: SqlClient, projection: string): Promise<RebuildRow | undefined> {
  const { rows } = await client.query<Raw>(
    `update projection_rebuilds set state = 'cancelled', updated_at = now(), finished_at = now()
     where projection = $1 and state = any($2::text[]) returning ${COLUMNS}`,
    [projection, UNFINISHED_STATES],
  );
  return rows[0] && fromRaw(rows[0]);
}

/** The runner's exclusive right to work on one projection's rebuild (in this schema). */
export interface RebuildLease {
  /** The connection holding the lock, for nothing else. */
  readonly client: PooledSqlClient;
  release(): Promise<void>;
}

const LOCK_KEY = `hashtext(current_schema() || ':projection-rebuild:' || $1)`;

/** The lease, or null while another runner (in any process) holds it. */
export async function tryRebuildLease(pool: SqlPool, projection: string): Promise<RebuildLease | null> {
  const client = await pool.connect();
  try {
    const { rows } = await client.query<{ locked: boolean }>(`select pg_try_advisory_lock(${LOCK_KEY}) as locked`, [
      projection,
    ]);
    if (!rows[0]?.locked) {
      client.release();
      return null;
    }
  } catch (error) {
    client.release(error instanceof Error ? error : true);
    throw error;
  }
  let released = false;
  return {
    client,
    async release() {
      if (released) return;
      released = true;
      try {
        await client.query(`select pg_advisory_unlock(${LOCK_KEY})`, [projection]);
        client.release();
      } catch (error) {
        // Closing the connection releases the lock too.
        client.release(error instanceof Error ? error : true);
      }
    },
  };
}
