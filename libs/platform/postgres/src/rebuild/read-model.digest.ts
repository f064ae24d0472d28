// Canonical lines of the read-model rows and an order-independent checksum
// over them, computed the same way from the live tables and from a fold of
// the log: the sum (mod 2^64) of the first 60 bits of each line's MD5. Equal
// multisets of lines give equal sums; PostgreSQL can compute the same sum
// over a large table without sending its rows.
import { createHash } from 'node:crypto';
import { TASK_STATUSES, reminderDueAt, type ExistingTask } from '@tasklog/domain';
import { isoOf } from '../read-model/task-row.codec.js';
import { statusColumn } from '../read-model/read-model.tables.js';
import type { SqlClient } from '../read-model/sql-client.js';
import type { PositionedEvent } from '../read-model/task-batch.fold.js';

const MOD = 1n << 64n;

export class TableDigest {
  rows = 0;
  private sum = 0n;

  static of(lines: Iterable<string>): TableDigest {
    const digest = new TableDigest();
    for (const line of lines) digest.add(line);
    return digest;
  }

  static fromSum(rows: number, sum: bigint): TableDigest {
    const digest = new TableDigest();
    digest.rows = rows;
    digest.sum = sum % MOD;
    return digest;
  }

  add(line: string): void {
    const hex = createHash('md5').update(line).digest('hex').slice(0, 15);
    this.sum = (this.sum + BigInt(`0x${hex}`)) % MOD;
    this.rows++;
  }

  checksum(): string {
    return this.sum.toString(16).padStart(16, '0');
  }
}

export interface FieldDiff {
  readonly field: string;
  readonly expected: unknown;
  readonly live: unknown;
}

/** Every compared field of a task view row, in a fixed order. */
export function taskFields(t: ExistingTask): Record<string, unknown> {
  return {
    taskId: t.taskId,
    ownerId: t.ownerId,
    title: t.title,
    description: t.description,
    status: t.status,
    dueDate: t.dueDate,
    warningOffset: t.warningOffset,
    category: t.category,
    tags: t.tags,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
    completedAt: t.completedAt,
    deletedAt: t.deletedAt,
    reminderFiredForDueDate: t.reminder.firedForDueDate,
    reminderFiredAt: t.reminder.firedAt,
    version: t.version,
  };
}

/** As the SQL of historyDigest builds it. */
export function historyLine(e: PositionedEvent): string {
  const m = e.recorded.metadata;
  return [e.partition, e.offset.toString(), m.taskId, m.version, e.recorded.event.type, m.eventId].join('|');
}

/** Owners with live tasks: `owner|count per status`; all-zero rows (every task deleted) are no rows. */
export function expectedStatsLines(tasks: Iterable<ExistingTask>): string[] {
  const byOwner = new Map<string, number[]>();
  for (const t of tasks) {
    if (t.deletedAt !== null) continue;
    const counts = byOwner.get(t.ownerId) ?? TASK_STATUSES.map(() => 0);
    counts[TASK_STATUSES.indexOf(t.status)]!++;
    byOwner.set(t.ownerId, counts);
  }
  return [...byOwner].map(([owner, counts]) => `${owner}|${counts.join('|')}`);
}

export async function liveStatsLines(client: SqlClient, table: string): Promise<string[]> {
  const columns = TASK_STATUSES.map(statusColumn);
  const { rows } = await client.query<{ line: string }>(
    `select concat_ws('|', owner_id, ${columns.join(', ')}) as line from ${table} where ${columns.join(' + ')} <> 0`,
  );
  return rows.map((r) => r.line);
}

export function expectedReminderLines(tasks: Iterable<ExistingTask>): string[] {
  const lines: string[] = [];
  for (const t of tasks) {
    const at = reminderDueAt(t);
    if (at !== null) lines.push([t.taskId, t.ownerId, t.dueDate, t.warningOffset, at].join('|'));
  }
  return lines;
}

export async function liveReminderLines(client: SqlClient, table: string): Promise<string[]> {
  const { rows } = await client.query<{
    task_id: string;
    owner_id: string;
    due_date: string;
    warning_offset: number;
    remind_at: string;
  }>(`select task_id, owner_id, ${isoOf('due_date')}, warning_offset, ${isoOf('remind_at')} from ${table}`);
  return rows.map((r) => [r.task_id, r.owner_id, r.due_date, r.warning_offset, r.remind_at].join('|'));
}
