// Between the messages of proto/tasklog/v1/task_queries_service.proto (as
// @grpc/proto-loader hands them over: camelCase fields, enum names as
// strings, int64 as strings, unset fields undefined) and the query inputs
// and answers of the REST API.
import type { TaskRepresentation } from '@tasklog/contracts';
import type { TaskStatsResponse } from '../task-stats.query.js';

export interface Timestamp {
  readonly seconds?: string | number;
  readonly nanos?: number;
}

export interface GetTaskRequest {
  readonly taskId?: string;
  readonly asOf?: Timestamp;
}

export interface ListTasksRequest {
  readonly taskStatuses?: string[];
  readonly search?: string;
  readonly category?: string;
  readonly tags?: string[];
  readonly dueBefore?: Timestamp;
  readonly dueAfter?: Timestamp;
  readonly updatedSince?: Timestamp;
  readonly userId?: string;
  readonly includeDeleted?: boolean;
  readonly sort?: string;
  readonly order?: string;
  readonly page?: number;
  readonly limit?: number;
}

const SORT_FIELDS: Record<string, string> = {
  TASK_SORT_FIELD_CREATED_AT: 'createdAt',
  TASK_SORT_FIELD_UPDATED_AT: 'updatedAt',
  TASK_SORT_FIELD_DUE_DATE: 'dueDate',
  TASK_SORT_FIELD_TASK_TITLE: 'taskTitle',
  TASK_SORT_FIELD_TASK_STATUS: 'taskStatus',
};

const nonEmpty = <T>(value: T | undefined | '' | 0 | false): T | undefined =>
  value === '' || value === 0 || value === false ? undefined : value;

export function isoOf(timestamp: Timestamp | undefined): string | undefined {
  if (timestamp === undefined || timestamp === null) return undefined;
  return new Date(Number(timestamp.seconds ?? 0) * 1000 + Math.floor((timestamp.nanos ?? 0) / 1e6)).toISOString();
}

function timestampOf(iso: string | null): Timestamp | undefined {
  if (iso === null) return undefined;
  const ms = Date.parse(iso);
  return { seconds: String(Math.floor(ms / 1000)), nanos: (((ms % 1000) + 1000) % 1000) * 1e6 };
}

/** The REST query string a ListTasksRequest stands for (validated by the same DTO). */
export function listQueryOf(request: ListTasksRequest): Record<string, unknown> {
  const plain: Record<string, unknown> = {
    taskStatus: request.taskStatuses?.length
      ? request.taskStatuses.map((s) => s.replace(/^TASK_STATUS_/, ''))
      : undefined,
    search: nonEmpty(request.search),
    category: nonEmpty(request.category),
    tag: request.tags?.length ? request.tags : undefined,
    dueBefore: isoOf(request.dueBefore),
    dueAfter: isoOf(request.dueAfter),
    updatedSince: isoOf(request.updatedSince),
    userId: nonEmpty(request.userId),
    includeDeleted: nonEmpty(request.includeDeleted),
    sort: request.sort ? SORT_FIELDS[request.sort] : undefined,
    order: request.order === 'SORT_ORDER_ASC' ? 'asc' : request.order === 'SORT_ORDER_DESC' ? 'desc' : undefined,
    page: nonEmpty(request.page),
    limit: nonEmpty(request.limit),
  };
  return Object.fromEntries(Object.entries(plain).filter(([, v]) => v !== undefined));
}

export function taskViewOf(task: TaskRepresentation) {
  return {
    taskId: task.taskId,
    userId: task.userId,
    taskTitle: task.taskTitle,
    taskDescription: task.taskDescription,
    taskStatus: `TASK_STATUS_${task.taskStatus}`,
    dueDate: timestampOf(task.dueDate),
    warningOffset: task.warningOffset ?? undefined,
    category: task.category ?? undefined,
    tags: [...task.tags],
    createdAt: timestampOf(task.createdAt),
    updatedAt: timestampOf(task.updatedAt),
    completedAt: timestampOf(task.completedAt),
    deletedAt: timestampOf(task.deletedAt),
    version: task.version,
  };
}

export function statsOf(stats: TaskStatsResponse) {
  return {
    userId: stats.userId ?? '',
    total: stats.total,
    completed: stats.completed,
    inProgress: stats.inProgress,
    overdue: stats.overdue,
    completedLast7Days: stats.completedLast7Days,
    byStatus: { ...stats.byStatus },
  };
}
