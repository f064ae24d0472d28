// GET /tasks and the gRPC ListTasks: filters, search, sort and pages over the
// task view, answered as { tasks, pagination, links } (DESIGN.md §5a) and
// cached per (owner, list generation, normalized query).
import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { TaskRepresentation } from '@tasklog/contracts';
import type { Principal } from '@tasklog/platform/http';
import { ALL_USERS, listTasks, representationFromRow, type TaskListQuery } from '@tasklog/platform/postgres';
import type { ListTasksQueryDto } from './http/task-queries.dto.js';
import { ownerScope } from './owner-scope.js';
import { TaskReadModel } from './task-read-model.js';

export const DEFAULT_PAGE_SIZE = 20;

export interface TaskListResponse {
  readonly tasks: TaskRepresentation[];
  readonly pagination: {
    readonly page: number;
    readonly limit: number;
    readonly total: number;
    readonly pages: number;
  };
  readonly links: { readonly self: string; readonly next: string | null; readonly prev: string | null };
}

export class ListTasksQuery extends Query<TaskListResponse> {
  constructor(
    readonly principal: Principal,
    readonly filter: ListTasksQueryDto,
    readonly options: { readonly fresh: boolean; readonly path: string },
  ) {
    super();
  }
}

/** The query with every default applied: equal queries get equal cache keys and links. */
export function normalizedListQuery(principal: Principal, dto: ListTasksQueryDto): TaskListQuery {
  return {
    ownerId: ownerScope(principal, dto.userId),
    statuses: dto.taskStatus ? [...new Set(dto.taskStatus)].sort() : undefined,
    search: dto.search,
    category: dto.category,
    tags: dto.tag ? [...new Set(dto.tag)].sort() : undefined,
    dueBefore: dto.dueBefore,
    dueAfter: dto.dueAfter,
    updatedSince: dto.updatedSince,
    includeDeleted: dto.includeDeleted,
    sort: dto.sort ?? 'createdAt',
    order: dto.order ?? 'desc',
    page: dto.page ?? 1,
    limit: dto.limit ?? DEFAULT_PAGE_SIZE,
  };
}

/** The public query string of a normalized query (the owner appears as userId only when chosen by admin). */
function queryString(query: TaskListQuery, dto: ListTasksQueryDto, page: number): string {
  const params = new URLSearchParams();
  const set = (name: string, value: string | number | boolean | undefined) => {
    if (value !== undefined) params.set(name, String(value));
  };
  set('userId', dto.userId);
  set('taskStatus', query.statuses?.join(','));
  set('search', query.search);
  set('category', query.category);
  set('tag', query.tags?.join(','));
  set('dueBefore', query.dueBefore);
  set('dueAfter', query.dueAfter);
  set('updatedSince', query.updatedSince);
  set('includeDeleted', query.includeDeleted);
  set('sort', query.sort);
  set('order', query.order);
  set('page', page);
  set('limit', query.limit);
  return params.toString();
}

@QueryHandler(ListTasksQuery)
export class ListTasksHandler implements IQueryHandler<ListTasksQuery, TaskListResponse> {
  constructor(@Inject(TaskReadModel) private readonly reads: TaskReadModel) {}

  async execute({ principal, filter, options }: ListTasksQuery): Promise<TaskListResponse> {
    const query = normalizedListQuery(principal, filter);
    const link = (page: number) => `${options.path}?${queryString(query, filter, page)}`;
    const scope = query.ownerId ?? ALL_USERS;
    return this.reads.listPage(scope, link(query.page), options.fresh, async () => {
      const { rows, total } = await listTasks(this.reads.pool, this.reads.tables, query);
      const pages = Math.ceil(total / query.limit);
      return {
        tasks: rows.map(representationFromRow),
        pagination: { page: query.page, limit: query.limit, total, pages },
        links: {
          self: link(query.page),
          next: query.page < pages ? link(query.page + 1) : null,
          prev: query.page > 1 ? link(Math.min(query.page - 1, Math.max(pages, 1))) : null,
        },
      };
    });
  }
}
