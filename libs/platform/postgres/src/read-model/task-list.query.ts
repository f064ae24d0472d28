// The task list query of GET /tasks (DESIGN.md §5a): filters, full-text
// search, sort and page-based pagination over the task view. Every filter
// value is a bound parameter; only whitelisted column names reach the SQL.
import type { TaskStatus } from '@tasklog/domain';
import type { ReadModelTables } from './read-model.tables.js';
import type { SqlClient } from './sql-client.js';
import { taskRowColumns, type TaskRow } from './task-row.codec.js';

export const TASK_SORT_FIELDS = ['createdAt', 'updatedAt', 'dueDate', 'taskTitle', 'taskStatus'] as const;
export type TaskSortField = (typeof TASK_SORT_FIELDS)[number];

const SORT_COLUMNS: Record<TaskSortField, string> = {
  createdAt: 'created_at',
  updatedAt: 'updated_at',
  dueDate: 'due_date',
  taskTitle: 'title',
  taskStatus: 'status',
};

export interface TaskListFilter {
  /** Only this owner's tasks; undefined = every user's (admin). */
  readonly ownerId?: string | undefined;
  readonly statuses?: readonly TaskStatus[] | undefined;
  /** Words, each matched as a prefix in the title or description. */
  readonly search?: string | undefined;
  readonly category?: string | undefined;
  /** Tasks carrying every one of these tags. */
  readonly tags?: readonly string[] | undefined;
  /** due date < dueBefore (exclusive). */
  readonly dueBefore?: string | undefined;
  /** due date ≥ dueAfter (inclusive). */
  readonly dueAfter?: string | undefined;
  /** updatedAt ≥ updatedSince (inclusive: a sync never misses a change at the boundary). */
  readonly updatedSince?: string | undefined;
  readonly includeDeleted?: boolean | undefined;
}

export interface TaskListQuery extends TaskListFilter {
  readonly sort: TaskSortField;
  readonly order: 'asc' | 'desc';
  readonly page: number;
  readonly limit: number;
}

export interface TaskListPage {
  readonly rows: TaskRow[];
  readonly total: number;
}

/** `meet report` → `'meet':* & 'report':*` (letters and digits only, so the text is always a valid tsquery). */
export function prefixTsQuery(search: string): string | null {
  const words = search.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return words.length === 0 ? null : words.map((w) => `'${w}':*`).join(' & ');
}

function whereClause(filter: TaskListFilter, values: unknown[]): string {
  const add = (value: unknown) => `$${values.push(value)}`;
  const conditions: string[] = [];
  if (!filter.includeDeleted) conditions.push('deleted_at is null');
  if (filter.ownerId !== undefined) conditions.push(`owner_id = ${add(filter.ownerId)}`);
  if (filter.statuses?.length) conditions.push(`status = any(${add(filter.statuses)}::text[])`);
  const tsQuery = filter.search === undefined ? null : prefixTsQuery(filter.search);
  if (tsQuery !== null) conditions.push(`search @@ to_tsquery('simple', ${add(tsQuery)})`);
  if (filter.category !== undefined) conditions.push(`category = ${add(filter.category)}`);
  if (filter.tags?.length) conditions.push(`tags @> ${add(filter.tags)}::text[]`);
  if (filter.dueBefore !== undefined) conditions.push(`due_date < ${add(filter.dueBefore)}::timestamptz`);
  if (filter.dueAfter !== undefined) conditions.push(`due_date >= ${add(filter.dueAfter)}::timestamptz`);
  if (filter.updatedSince !== undefined) conditions.push(`updated_at >= ${add(filter.updatedSince)}::timestamptz`);
  return conditions.length === 0 ? '' : `where ${conditions.join(' and ')}`;
}

export async function listTasks(
  client: SqlClient,
  tables: ReadModelTables,
  query: TaskListQuery,
): Promise<TaskListPage> {
  const values: unknown[] = [];
  const where = whereClause(query, values);
  const counted = await client.query<{ total: string }>(
    `select count(*) as total from ${tables.taskView} ${where}`,
    values,
  );
  const total = Number(counted.rows[0]?.total ?? 0);
  const offset = (query.page - 1) * query.limit;
  if (offset >= total) return { rows: [], total };
  const column = SORT_COLUMNS[query.sort];
  const direction = query.order === 'asc' ? 'asc' : 'desc';
  const { rows } = await client.query<TaskRow>(
    `select ${taskRowColumns()} from ${tables.taskView} ${where}
     order by ${column} ${direction} nulls last, task_id ${direction}
     limit ${Number(query.limit)} offset ${Number(offset)}`,
    values,
  );
  return { rows, total };
}
