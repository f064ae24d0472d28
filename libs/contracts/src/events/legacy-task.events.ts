// Shapes of superseded event versions, as they were when written. Only the
// decoder and the upcasters see them; the domain knows current shapes only.
import type { TaskEvent } from '@tasklog/domain';

/** TaskCreated v1: before tasks had an initial status, category or tags. */
export interface TaskCreatedV1 {
  readonly type: 'TaskCreated';
  readonly schemaVersion: 1;
  readonly data: {
    readonly taskId: string;
    readonly ownerId: string;
    readonly title: string;
    readonly description: string;
    readonly dueDate: string | null;
    readonly warningOffset: number | null;
    readonly createdAt: string;
  };
}

/** Any event version that may be found in the log. */
export type StoredTaskEvent = TaskEvent | TaskCreatedV1;
