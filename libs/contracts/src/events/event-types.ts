// Names of the task events outside the process: the CloudEvents type (with
// the schema version, e.g. tasklog.task.created.v2) and the public event name
// of the reference documents that webhooks and the CRM use (task.created...).
import { TASK_EVENT_SCHEMA_VERSIONS, TASK_EVENT_TYPES, type TaskEvent, type TaskEventType } from '@tasklog/domain';

export const PUBLIC_EVENT_NAMES = [
  'task.created',
  'task.updated',
  'task.completed',
  'task.deleted',
  'task.reminder',
] as const;

export type PublicEventName = (typeof PUBLIC_EVENT_NAMES)[number];

export interface EventTypeInfo {
  /** The middle of the CloudEvents type: tasklog.task.<slug>.v<version>. */
  readonly slug: string;
  readonly publicName: PublicEventName;
  readonly currentVersion: number;
}

// Status changes and restores are updates of the task as far as webhook
// subscribers know: the reference documents have no finer names.
export const TASK_EVENT_CATALOGUE: Readonly<Record<TaskEventType, EventTypeInfo>> = {
  TaskCreated: info('created', 'task.created', 'TaskCreated'),
  TaskDetailsUpdated: info('details-updated', 'task.updated', 'TaskDetailsUpdated'),
  TaskStatusChanged: info('status-changed', 'task.updated', 'TaskStatusChanged'),
  TaskCompleted: info('completed', 'task.completed', 'TaskCompleted'),
  TaskDeleted: info('deleted', 'task.deleted', 'TaskDeleted'),
  TaskRestored: info('restored', 'task.updated', 'TaskRestored'),
  TaskReminderDue: info('reminder-due', 'task.reminder', 'TaskReminderDue'),
};

const CE_TYPE = /^tasklog\.task\.([a-z-]+)\.v([1-9][0-9]*)$/;

export function eventCeType(type: TaskEventType, version: number = TASK_EVENT_CATALOGUE[type].currentVersion): string {
  return `tasklog.task.${TASK_EVENT_CATALOGUE[type].slug}.v${version}`;
}

/** The event type and schema version a ce_type names, or null if it names none. */
export function parseEventCeType(ceType: string): { eventType: TaskEventType; version: number } | null {
  const match = CE_TYPE.exec(ceType);
  if (!match) return null;
  const eventType = TASK_EVENT_TYPES.find((type) => TASK_EVENT_CATALOGUE[type].slug === match[1]);
  const version = Number(match[2]);
  if (eventType === undefined || version > TASK_EVENT_CATALOGUE[eventType].currentVersion) return null;
  return { eventType, version };
}

export function publicEventName(event: TaskEvent | TaskEventType): PublicEventName {
  return TASK_EVENT_CATALOGUE[typeof event === 'string' ? event : event.type].publicName;
}

function info(slug: string, publicName: PublicEventName, type: TaskEventType): EventTypeInfo {
  return { slug, publicName, currentVersion: TASK_EVENT_SCHEMA_VERSIONS[type] };
}
