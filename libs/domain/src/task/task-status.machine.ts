// The task status state machine. Active statuses move freely among
// themselves; COMPLETED and CANCELLED are terminal but can be reopened to
// NOT_STARTED or IN_PROGRESS. A terminal task cannot jump to the other
// terminal status or to BLOCKED/DEFERRED: it has to be reopened first, so
// that every reopening is an explicit fact in the log. docs/domain.md holds
// the table, and a unit spec keeps it in step with this file.

export const TASK_STATUSES = ['NOT_STARTED', 'IN_PROGRESS', 'BLOCKED', 'DEFERRED', 'COMPLETED', 'CANCELLED'] as const;

export type TaskStatus = (typeof TASK_STATUSES)[number];

export const TERMINAL_STATUSES: readonly TaskStatus[] = ['COMPLETED', 'CANCELLED'];

const ACTIVE: readonly TaskStatus[] = ['NOT_STARTED', 'IN_PROGRESS', 'BLOCKED', 'DEFERRED'];
const REOPENED: readonly TaskStatus[] = ['NOT_STARTED', 'IN_PROGRESS'];

/** For each status, the statuses it may change to (a status never lists itself). */
export const ALLOWED_TRANSITIONS: Readonly<Record<TaskStatus, readonly TaskStatus[]>> = {
  NOT_STARTED: [...without(ACTIVE, 'NOT_STARTED'), 'COMPLETED', 'CANCELLED'],
  IN_PROGRESS: [...without(ACTIVE, 'IN_PROGRESS'), 'COMPLETED', 'CANCELLED'],
  BLOCKED: [...without(ACTIVE, 'BLOCKED'), 'COMPLETED', 'CANCELLED'],
  DEFERRED: [...without(ACTIVE, 'DEFERRED'), 'COMPLETED', 'CANCELLED'],
  COMPLETED: REOPENED,
  CANCELLED: REOPENED,
};

export function isTaskStatus(value: unknown): value is TaskStatus {
  return typeof value === 'string' && (TASK_STATUSES as readonly string[]).includes(value);
}

export function isTerminal(status: TaskStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

export function canTransition(from: TaskStatus, to: TaskStatus): boolean {
  return ALLOWED_TRANSITIONS[from].includes(to);
}

function without(statuses: readonly TaskStatus[], excluded: TaskStatus): TaskStatus[] {
  return statuses.filter((status) => status !== excluded);
}
