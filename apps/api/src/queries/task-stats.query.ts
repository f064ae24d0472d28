// GET /tasks/stats: the owner's dashboard figures of the reference documents
// (total, completed, inProgress, overdue) plus counts by status and the
// completions of the last 7 days. Counts come from the per-user statistics
// the projector maintains; the clock-dependent figures are counted at read
// time over indexed columns (they change with time, not with events).
import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { TaskStatus } from '@tasklog/domain';
import type { Principal } from '@tasklog/platform/http';
import { taskStats } from '@tasklog/platform/postgres';
import { ownerScope } from './owner-scope.js';
import { TaskReadModel } from './task-read-model.js';

export interface TaskStatsResponse {
  /** null: every user's figures (admin). */
  readonly userId: string | null;
  readonly total: number;
  readonly completed: number;
  readonly inProgress: number;
  /** Due date in the past and not COMPLETED (the reference dashboard's rule; tasks without a due date never are). */
  readonly overdue: number;
  readonly completedLast7Days: number;
  readonly byStatus: Record<TaskStatus, number>;
  readonly asOf: string;
}

export class TaskStatsQuery extends Query<TaskStatsResponse> {
  constructor(
    readonly principal: Principal,
    readonly userId: string | undefined,
  ) {
    super();
  }
}

@QueryHandler(TaskStatsQuery)
export class TaskStatsHandler implements IQueryHandler<TaskStatsQuery, TaskStatsResponse> {
  constructor(@Inject(TaskReadModel) private readonly reads: TaskReadModel) {}

  async execute({ principal, userId }: TaskStatsQuery): Promise<TaskStatsResponse> {
    const ownerId = ownerScope(principal, userId);
    const now = new Date();
    const stats = await taskStats(this.reads.pool, this.reads.tables, ownerId, now);
    return {
      userId: ownerId ?? null,
      total: stats.total,
      completed: stats.byStatus.COMPLETED,
      inProgress: stats.byStatus.IN_PROGRESS,
      overdue: stats.overdue,
      completedLast7Days: stats.completedLast7Days,
      byStatus: stats.byStatus,
      asOf: now.toISOString(),
    };
  }
}
