// The read side of /api/v1/tasks. Every route honours X-Consistency-Token
// (ConsistencyInterceptor). Single tasks carry their version as a strong
// ETag, and If-None-Match answers 304. Writes (POST/PATCH/DELETE) live in
// the commands module under the same path.
import { Controller, Get, Headers, Param, Query, Req, Res, UseInterceptors } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiHeader, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { TaskRepresentation } from '@tasklog/contracts';
import { CurrentPrincipal, Scopes, type Principal } from '@tasklog/platform/http';
import { GetTaskQuery } from '../get-task.query.js';
import { ListTasksQuery, type TaskListResponse } from '../list-tasks.query.js';
import { TaskHistoryQuery, type TaskHistoryResponse } from '../task-history.query.js';
import { TaskStatsQuery, type TaskStatsResponse } from '../task-stats.query.js';
import { ConsistencyInterceptor, ConsistentRead } from './consistency.interceptor.js';
import { GetTaskQueryDto, ListTasksQueryDto, PageQueryDto, TaskStatsQueryDto } from './task-queries.dto.js';

/** `"7"` — the task version as a strong entity tag (If-Match on the command side takes the same). */
export function etagOf(version: number): string {
  return `"${version}"`;
}

function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  return ifNoneMatch.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t.replace(/^W\//, '') === etag;
  });
}

@ApiTags('tasks')
@ApiHeader({
  name: 'X-Consistency-Token',
  required: false,
  description: 'From a command response: wait (bounded) until this read reflects the command; 503 + Retry-After if not',
})
@Controller('tasks')
@UseInterceptors(ConsistencyInterceptor)
export class TaskQueriesHttpController {
  constructor(private readonly queries: QueryBus) {}

  @Get()
  @Scopes('tasks:read')
  @ApiOkResponse({ description: '{ tasks, pagination: {page, limit, total, pages}, links: {self, next, prev} }' })
  list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: ListTasksQueryDto,
    @ConsistentRead() fresh: boolean,
    @Req() request: FastifyRequest,
  ): Promise<TaskListResponse> {
    const path = request.url.split('?')[0]!;
    return this.queries.execute(new ListTasksQuery(principal, query, { fresh, path }));
  }

  @Get('stats')
  @Scopes('tasks:read')
  @ApiOkResponse({ description: 'total, completed, inProgress, overdue, completedLast7Days, byStatus' })
  stats(@CurrentPrincipal() principal: Principal, @Query() query: TaskStatsQueryDto): Promise<TaskStatsResponse> {
    return this.queries.execute(new TaskStatsQuery(principal, query.userId));
  }

  @Get(':id')
  @Scopes('tasks:read')
  @ApiOkResponse({ description: 'The task; ETag carries its version' })
  async get(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Query() query: GetTaskQueryDto,
    @ConsistentRead() fresh: boolean,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TaskRepresentation | string | undefined> {
    const { task, json } = await this.queries.execute(new GetTaskQuery(principal, id, { fresh, asOf: query.asOf }));
    // A past state is not the resource's current representation: no validator for it.
    if (query.asOf !== undefined || json === undefined) return task;
    const etag = etagOf(task.version);
    reply.header('etag', etag);
    if (matches(ifNoneMatch, etag)) {
      reply.status(304);
      return undefined;
    }
    reply.header('content-type', 'application/json; charset=utf-8');
    return json;
  }

  @Get(':id/history')
  @Scopes('tasks:read')
  @ApiOkResponse({ description: '{ taskId, events: [...], pagination }' })
  history(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Query() query: PageQueryDto,
    @ConsistentRead() fresh: boolean,
  ): Promise<TaskHistoryResponse> {
    const page = { page: query.page ?? 1, limit: query.limit ?? 100 };
    return this.queries.execute(new TaskHistoryQuery(principal, id, page, fresh));
  }
}
