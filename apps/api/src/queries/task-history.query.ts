// GET /tasks/{id}/history: the task's events in version order, with their
// log positions and decoded payloads (domain field names), page by page.
import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { publicEventName, type PublicEventName } from '@tasklog/contracts';
import type { Principal } from '@tasklog/platform/http';
import { taskHistory } from '@tasklog/platform/postgres';
import { assertVisible } from './owner-scope.js';
import { TaskReadModel } from './task-read-model.js';

export interface TaskHistoryEvent {
  readonly eventId: string;
  readonly type: string;
  readonly event: PublicEventName;
  readonly schemaVersion: number;
  readonly version: number;
  readonly recordedAt: string;
  readonly actorId: string;
  readonly causationId: string;
  readonly correlationId: string | null;
  readonly position: { readonly partition: number; readonly offset: string };
  readonly data: unknown;
}

export interface TaskHistoryResponse {
  readonly taskId: string;
  readonly events: TaskHistoryEvent[];
  readonly pagination: {
    readonly page: number;
    readonly limit: number;
    readonly total: number;
    readonly pages: number;
  };
}

export class TaskHistoryQuery extends Query<TaskHistoryResponse> {
  constructor(
    readonly principal: Principal,
    readonly taskId: string,
    readonly page: { readonly page: number; readonly limit: number },
    readonly fresh: boolean,
  ) {
    super();
  }
}

@QueryHandler(TaskHistoryQuery)
export class TaskHistoryHandler implements IQueryHandler<TaskHistoryQuery, TaskHistoryResponse> {
  constructor(@Inject(TaskReadModel) private readonly reads: TaskReadModel) {}

  async execute({ principal, taskId, page, fresh }: TaskHistoryQuery): Promise<TaskHistoryResponse> {
    assertVisible(principal, taskId, (await this.reads.task(taskId, fresh))?.task.userId);
    const offset = (page.page - 1) * page.limit;
    const { rows, total } = await taskHistory(this.reads.pool, this.reads.tables, taskId, {
      limit: page.limit,
      offset,
    });
    return {
      taskId,
      events: rows.map((r) => ({
        eventId: r.event_id,
        type: r.event_type,
        event: publicEventName(r.event_type),
        schemaVersion: r.schema_version,
        version: r.version,
        recordedAt: r.recorded_at,
        actorId: r.actor_id,
        causationId: r.causation_id,
        correlationId: r.correlation_id,
        position: { partition: r.event_partition, offset: r.event_offset },
        data: r.payload,
      })),
      pagination: { page: page.page, limit: page.limit, total, pages: Math.ceil(total / page.limit) },
    };
  }
}
