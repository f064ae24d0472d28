// The task read models' tables and their DDL. Table names are data, not
// constants baked into SQL, so the same projection code can write shadow
// tables during a rebuild (DESIGN.md §5) and the swap only renames them.
import { TASK_STATUSES, type TaskStatus } from '@tasklog/domain';

/** The projection's name in projection_offsets and projection_generations. */
export const TASK_VIEW_PROJECTION = 'task-view';

export interface ReadModelTables {
  /** One row per task: every field of the representation, its version, the soft-deletion flag. */
  readonly taskView: string;
  /** One row per applied event, keyed by its log position. */
  readonly taskHistory: string;
  /** Per-user counts of live (not deleted) tasks by status. */
  readonly userStats: string;
  /** Pending reminders: when each task's reminder is due. */
  readonly reminders: string;
}

export const READ_MODEL_TABLES: ReadModelTables = {
  taskView: 'task_view',
  taskHistory: 'task_history',
  userStats: 'user_task_stats',
  reminders: 'task_reminders',
};

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,40}$/;

/** The same tables with a suffix (e.g. `_shadow`), for a rebuild beside the live ones. */
export function suffixedTables(suffix: string, base: ReadModelTables = READ_MODEL_TABLES): ReadModelTables {
  return checkedTables({
    taskView: base.taskView + suffix,
    taskHistory: base.taskHistory + suffix,
    userStats: base.userStats + suffix,
    reminders: base.reminders + suffix,
  });
}

export function checkedTables(tables: ReadModelTables): ReadModelTables {
  for (const name of Object.values(tables)) {
    if (!IDENTIFIER.test(name)) throw new Error(`invalid read-model table name: ${name}`);
  }
  return tables;
}

/** Column of user_task_stats counting tasks in `status`. */
export function statusColumn(status: TaskStatus): string {
  return status.toLowerCase();
}

/** CREATE statements of the read-model tables and their indexes, one statement per entry. */
export function readModelDdl(tables: ReadModelTables = READ_MODEL_TABLES): string[] {
  const { taskView: v, taskHistory: h, userStats: s, reminders: r } = checkedTables(tables);
  const live = 'where deleted_at is null';
  return [
    `create table ${v} (
      task_id text primary key,
      owner_id text not null,
      title text not null,
      description text not null,
      status text not null,
      due_date timestamptz,
      warning_offset integer,
      category text,
      tags text[] not null default '{}',
      created_at timestamptz not null,
      updated_at timestamptz not null,
      completed_at timestamptz,
      deleted_at timestamptz,
      deleted boolean generated always as (deleted_at is not null) stored,
      reminder_fired_for_due_date timestamptz,
      reminder_fired_at timestamptz,
      version integer not null,
      event_partition integer not null,
      event_offset bigint not null,
      search tsvector generated always as (to_tsvector('simple'::regconfig, title || ' ' || description)) stored
    ) with (fillfactor = 80)`,
    // Few indexes, on columns that rarely change, and room on each page
    // (fillfactor): most updates are then HOT and touch no index (ADR 0014).
    // Per-owner filters, search and sorts work on the owner's rows; only
    // admin queries across every user scan more.
    `create index ${v}_owner_created_idx on ${v} (owner_id, created_at desc, task_id) ${live}`,
    `create index ${v}_owner_due_idx on ${v} (owner_id, due_date) ${live}`,
    `create index ${v}_created_idx on ${v} (created_at desc, task_id) ${live}`,
    `create table ${h} (
      event_partition integer not null,
      event_offset bigint not null,
      task_id text not null,
      version integer not null,
      event_id text not null,
      event_type text not null,
      schema_version integer not null,
      stored_schema_version integer not null,
      recorded_at timestamptz not null,
      actor_id text not null,
      causation_id text not null,
      correlation_id text,
      payload jsonb not null,
      -- One event per task version: the key that makes a replayed batch a no-op.
      primary key (task_id, version)
    )`,
    `create table ${s} (
      owner_id text primary key,
      ${TASK_STATUSES.map((status) => `${statusColumn(status)} integer not null default 0`).join(',\n      ')},
      updated_at timestamptz not null default now()
    )`,
    `create table ${r} (
      task_id text primary key,
      owner_id text not null,
      due_date timestamptz not null,
      warning_offset integer not null,
      remind_at timestamptz not null
    )`,
    `create index ${r}_remind_at_idx on ${r} (remind_at)`,
  ];
}

export function dropReadModelDdl(tables: ReadModelTables = READ_MODEL_TABLES): string[] {
  const t = checkedTables(tables);
  return [t.reminders, t.userStats, t.taskHistory, t.taskView].map((name) => `drop table if exists ${name}`);
}
