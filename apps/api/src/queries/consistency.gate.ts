// Read-your-writes (ADR 0017): a command's response carries
// X-Consistency-Token `<partition>:<offset>` (the position of its last
// event); a query sending it back waits, bounded, until the projection has
// applied that position, and answers 503 with Retry-After rather than
// anything older. Several tokens may be sent comma-separated.
import { TOPICS } from '@tasklog/contracts';
import { problems, type ProblemException } from '@tasklog/platform/http';
import type { Logger } from '@tasklog/platform/observability';
import {
  ProjectionPositionWatch,
  TASK_VIEW_PROJECTION,
  type LogPosition,
  type SqlPool,
} from '@tasklog/platform/postgres';
import type { ApiConfig } from '../api.config.js';

export const CONSISTENCY_HEADER = 'x-consistency-token';

const TOKEN = /^(\d{1,4}):(\d{1,19})$/;

export class ConsistencyGate {
  constructor(
    private readonly watch: ProjectionPositionWatch,
    private readonly options: { waitMs: number; retryAfterSeconds: number; partitions: number },
  ) {}

  static start(config: ApiConfig, pool: SqlPool, logger: Logger): ConsistencyGate {
    const watch = new ProjectionPositionWatch(
      pool,
      {
        projection: TASK_VIEW_PROJECTION,
        topic: config.kafka.topicPrefix + TOPICS.events,
        schema: config.postgres.schema,
        pollMs: config.queries.consistencyPollMs,
      },
      logger,
    );
    watch.start();
    return new ConsistencyGate(watch, {
      waitMs: config.queries.consistencyWaitMs,
      retryAfterSeconds: config.queries.consistencyRetryAfterSeconds,
      partitions: config.kafka.partitions,
    });
  }

  get retryAfterSeconds(): number {
    return this.options.retryAfterSeconds;
  }

  /** The positions a token names; a malformed token is a 400. */
  parse(token: string): LogPosition[] {
    const positions = token.split(',').map((part) => {
      const match = TOKEN.exec(part.trim());
      const partition = Number(match?.[1]);
      if (!match || partition >= this.options.partitions) throw invalid(token);
      return { partition, offset: BigInt(match[2]!) };
    });
    if (positions.length > 64) throw invalid(token);
    return positions;
  }

  /** Resolves once the projection has reached every position of the token; throws the 503 problem otherwise. */
  async waitFor(token: string): Promise<void> {
    const positions = this.parse(token);
    if (await this.watch.waitFor(positions, this.options.waitMs)) return;
    throw problems.unavailable(
      `The read model has not reached the position of ${token} within ${this.options.waitMs} ms; retry`,
      { retryAfter: this.options.retryAfterSeconds },
    );
  }

  stop(): Promise<void> {
    return this.watch.stop();
  }
}

function invalid(token: string): ProblemException {
  return problems.validation([
    {
      field: 'X-Consistency-Token',
      messages: [
        `expected <partition>:<offset>[,...] with a known partition, got "${token.slice(0, 80).replace(/[^\x20-\x7e]/g, '?')}"`,
      ],
    },
  ]);
}
