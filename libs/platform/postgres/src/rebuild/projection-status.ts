// What an operator sees of each projection: its generation, how far behind
// the log head the live tables are, and the latest rebuild with its progress
// (records the shadow tables hold out of the log's current length).
import { highWatermarks, type KafkaClient } from '@tasklog/platform/kafka';
import { readGeneration, readPositions } from '../read-model/projection-positions.js';
import type { SqlPool } from '../read-model/sql-client.js';
import { latestRebuild, UNFINISHED_STATES, type RebuildRow, type RebuildState } from './projection-rebuild.store.js';
import {
  REBUILDABLE_PROJECTIONS,
  rebuildHistoryPositionsName,
  rebuildPositionsName,
} from './projection-rebuild.runner.js';

export interface ProjectionProgress {
  readonly applied: number;
  readonly total: number;
}

export interface ProjectionStatus {
  readonly name: string;
  /** `live`, or the state of a rebuild that has not finished. */
  readonly state: 'live' | RebuildState;
  readonly generation: number;
  /** Records of the log the live tables have not applied yet. */
  readonly lagOffsets: number;
  /** Of the unfinished rebuild when there is one, else of the live projection. */
  readonly progress: ProjectionProgress;
  readonly rebuild: RebuildRow | null;
}

export async function projectionStatus(
  deps: { pool: SqlPool; kafka: KafkaClient; topic: string },
  name: string,
): Promise<ProjectionStatus> {
  const [ends, live, generation, rebuild] = await Promise.all([
    highWatermarks(deps.kafka, deps.topic),
    readPositions(deps.pool, name, deps.topic),
    readGeneration(deps.pool, name),
    latestRebuild(deps.pool, name),
  ]);
  const unfinished = rebuild !== undefined && UNFINISHED_STATES.includes(rebuild.state);
  const total = sum([...ends.values()]);
  const applied = unfinished ? await rebuildProgress(deps, name) : sum([...live.values()]);
  const lag = [...ends].reduce((acc, [p, end]) => acc + Math.max(0, Number(end - (live.get(p) ?? 0n))), 0);
  return {
    name,
    state: unfinished ? rebuild.state : 'live',
    generation,
    lagOffsets: lag,
    progress: { applied, total },
    rebuild: rebuild ?? null,
  };
}

export function projectionStatuses(deps: {
  pool: SqlPool;
  kafka: KafkaClient;
  topic: string;
}): Promise<ProjectionStatus[]> {
  return Promise.all(REBUILDABLE_PROJECTIONS.map((name) => projectionStatus(deps, name)));
}

/** Per partition, the further of the shadow position and the bulk load's history checkpoint. */
async function rebuildProgress(deps: { pool: SqlPool; topic: string }, name: string): Promise<number> {
  const [shadow, history] = await Promise.all([
    readPositions(deps.pool, rebuildPositionsName(name), deps.topic),
    readPositions(deps.pool, rebuildHistoryPositionsName(name), deps.topic),
  ]);
  const partitions = new Set([...shadow.keys(), ...history.keys()]);
  return sum([...partitions].map((p) => [shadow.get(p) ?? 0n, history.get(p) ?? 0n].reduce((a, b) => (a > b ? a : b))));
}

function sum(values: bigint[]): number {
  return Number(values.reduce((a, b) => a + b, 0n));
}
