// The swap of a rebuilt projection, in ONE PostgreSQL transaction (ADR 0021):
// lock the live projection's position rows (the live projector takes the
// same row lock first in every batch, so it waits here), bring the shadow
// tables to at least the live position, rename the tables, carry the shadow
// position over to the live rows, bump the generation that cache keys carry
// and wake consistency-token waiters at commit. A live batch that waited on
// the lock then finds the carried-over position and skips what the shadow
// already holds; nothing is applied twice or lost.
import type { PartitionRange } from '@tasklog/platform/kafka';
import { readPositions } from '../read-model/projection-positions.js';
import { inTransaction, type SqlClient, type SqlPool } from '../read-model/sql-client.js';
import { PROJECTION_CHANNEL } from '../read-model/task-events.sql.js';
import { renameShadowIntoLive } from './shadow-tables.js';

export interface SwapPlan {
  readonly rebuildId: string;
  /** The live projection's name (`task-view`) and its rebuild's (`task-view#rebuild`). */
  readonly live: string;
  readonly shadow: string;
  readonly topic: string;
  readonly partitions: readonly number[];
  readonly lockTimeoutMs: number;
  /** Applies the given ranges to the shadow tables with `client` (inside the swap transaction). */
  readonly applyTail: (client: SqlClient, ranges: PartitionRange[]) => Promise<void>;
}

export interface SwapResult {
  readonly offsets: Map<number, bigint>;
  readonly generation: number;
  /** Records applied inside the swap (the live projector's lead at the lock). */
  readonly tailRanges: PartitionRange[];
}

export class SwapCancelled extends Error {
  constructor(rebuildId: string) {
    super(`rebuild ${rebuildId} was cancelled before its swap`);
    this.name = 'SwapCancelled';
  }
}

export function swapIn(pool: SqlPool, plan: SwapPlan): Promise<SwapResult> {
  return inTransaction(pool, async (client) => {
    await client.query(`select set_config('lock_timeout', $1, true)`, [`${plan.lockTimeoutMs}ms`]);
    const { rows } = await client.query<{ state: string }>(
      'select state from projection_rebuilds where rebuild_id = $1 for update',
      [plan.rebuildId],
    );
    if (rows[0]?.state !== 'swapping') throw new SwapCancelled(plan.rebuildId);
    const live = await lockLivePositions(client, plan);
    const shadow = await readPositions(client, plan.shadow, plan.topic);
    const tailRanges = [...live]
      .filter(([p, next]) => (shadow.get(p) ?? 0n) < next)
      .map(([partition, end]) => ({ topic: plan.topic, partition, from: shadow.get(partition) ?? 0n, end }));
    if (tailRanges.length > 0) await plan.applyTail(client, tailRanges);
    const offsets = await readPositions(client, plan.shadow, plan.topic);
    await renameShadowIntoLive(client);
    await carryOffsets(client, plan, offsets);
    const generation = await bumpGeneration(client, plan.live);
    await client.query('delete from projection_offsets where projection = $1', [plan.shadow]);
    await client.query(
      `update projection_rebuilds set state = 'done', updated_at = now(), finished_at = now(),
         swap_offsets = $2::jsonb, generation = $3, error = null where rebuild_id = $1`,
      [plan.rebuildId, JSON.stringify(Object.fromEntries([...offsets].map(([p, o]) => [p, o.toString()]))), generation],
    );
    return { offsets, generation, tailRanges };
  });
}

/** Row locks in partition order (as one writer per partition takes them: no deadlock). */
async function lockLivePositions(client: SqlClient, plan: SwapPlan): Promise<Map<number, bigint>> {
  const positions = new Map<number, bigint>();
  for (const partition of [...plan.partitions].sort((a, b) => a - b)) {
    const { rows } = await client.query<{ next_offset: string }>(
      `insert into projection_offsets (projection, topic, partition, next_offset) values ($1, $2, $3, 0)
       on conflict (projection, topic, partition) do update set next_offset = projection_offsets.next_offset
       returning next_offset`,
      [plan.live, plan.topic, partition],
    );
    positions.set(partition, BigInt(rows[0]!.next_offset));
  }
  return positions;
}

async function carryOffsets(client: SqlClient, plan: SwapPlan, offsets: Map<number, bigint>): Promise<void> {
  for (const [partition, next] of offsets) {
    await client.query(
      `insert into projection_offsets (projection, topic, partition, next_offset) values ($1, $2, $3, $4)
       on conflict (projection, topic, partition) do update set next_offset = excluded.next_offset, updated_at = now()`,
      [plan.live, plan.topic, partition, next.toString()],
    );
    await client.query(
      `select pg_notify('${PROJECTION_CHANNEL}', concat_ws('|', current_schema(), $1::text, $2::text, $3::int, $4::bigint))`,
      [plan.live, plan.topic, partition, next.toString()],
    );
  }
}

async function bumpGeneration(client: SqlClient, projection: string): Promise<number> {
  // Absent row = generation 1 (readGeneration's default), so the first bump gives 2.
  const { rows } = await client.query<{ generation: number }>(
    `insert into projection_generations (projection, generation) values ($1, 2)
     on conflict (projection) do update set generation = projection_generations.generation + 1, updated_at = now()
     returning generation`,
    [projection],
  );
  return rows[0]!.generation;
}
