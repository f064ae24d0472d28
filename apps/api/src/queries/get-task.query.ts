// GET /tasks/{id} and the gRPC GetTask: the task now (cache-aside), or as it
// was at `asOf` (folded from its history). A soft-deleted task is 404 now,
// but its past states stay readable through asOf and its history.
import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { toTaskRepresentation, type TaskRepresentation } from '@tasklog/contracts';
import { problems, type Principal } from '@tasklog/platform/http';
import { taskAsOf } from '@tasklog/platform/postgres';
import { assertVisible } from './owner-scope.js';
import { TaskReadModel } from './task-read-model.js';

/** The task, and its JSON text when it is the current representation (sent as is over HTTP). */
export interface GetTaskResult {
  readonly task: TaskRepresentation;
  readonly json?: string;
}

export class GetTaskQuery extends Query<GetTaskResult> {
  constructor(
    readonly principal: Principal,
    readonly taskId: string,
    readonly options: { readonly fresh: boolean; readonly asOf?: string | undefined },
  ) {
    super();
  }
}

@QueryHandler(GetTaskQuery)
export class GetTaskHandler implements IQueryHandler<GetTaskQuery, GetTaskResult> {
  constructor(@Inject(TaskReadModel) private readonly reads: TaskReadModel) {}

  async execute({ principal, taskId, options }: GetTaskQuery): Promise<GetTaskResult> {
    const current = await this.reads.task(taskId, options.fresh);
    // The owner never changes, so the current row decides visibility for the past too.
    assertVisible(principal, taskId, current?.task.userId);
    if (options.asOf !== undefined) {
      const then = await taskAsOf(this.reads.pool, this.reads.tables, taskId, options.asOf);
      if (then === null) throw problems.taskNotFound(taskId);
      return { task: toTaskRepresentation(then) };
    }
    if (current!.task.deletedAt !== null) throw problems.taskNotFound(taskId);
    return current!;
  }
}
