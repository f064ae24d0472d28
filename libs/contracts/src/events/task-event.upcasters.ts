// The upcaster seam: stored events of an old schema version are raised one
// version at a time until they reach the version the domain knows. Adding a
// version means adding its proto message, a legacy shape and one upcaster.
import { TASK_EVENT_SCHEMA_VERSIONS, type TaskEvent, type TaskEventType } from '@tasklog/domain';
import { ContractDecodingError } from '../common/contract.errors.js';
import type { StoredTaskEvent, TaskCreatedV1 } from './legacy-task.events.js';

export interface TaskEventUpcaster {
  readonly eventType: TaskEventType;
  readonly fromVersion: number;
  /** Returns the same event at fromVersion + 1. */
  upcast(event: StoredTaskEvent): StoredTaskEvent;
}

// v1 tasks all started NOT_STARTED, with no category and no tags.
const taskCreatedV1ToV2: TaskEventUpcaster = {
  eventType: 'TaskCreated',
  fromVersion: 1,
  upcast: (event) => {
    const { data } = event as TaskCreatedV1;
    return {
      type: 'TaskCreated',
      schemaVersion: 2,
      data: { ...data, status: 'NOT_STARTED', category: null, tags: [] },
    };
  },
};

export const TASK_EVENT_UPCASTERS: readonly TaskEventUpcaster[] = [taskCreatedV1ToV2];

export function upcastTaskEvent(
  event: StoredTaskEvent,
  upcasters: readonly TaskEventUpcaster[] = TASK_EVENT_UPCASTERS,
): TaskEvent {
  const target = TASK_EVENT_SCHEMA_VERSIONS[event.type];
  let current = event;
  while (current.schemaVersion !== target) {
    const from = current.schemaVersion;
    const upcaster = upcasters.find((u) => u.eventType === current.type && u.fromVersion === from);
    if (upcaster === undefined || from > target) {
      throw new ContractDecodingError(`no upcaster takes ${current.type} from v${from} towards v${target}`);
    }
    current = upcaster.upcast(current);
    if (current.schemaVersion !== from + 1) {
      throw new ContractDecodingError(`the ${current.type} v${from} upcaster did not produce v${from + 1}`);
    }
  }
  return current as TaskEvent;
}
