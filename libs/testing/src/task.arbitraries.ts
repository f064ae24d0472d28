// fast-check arbitraries for task commands and events. Commands are a mix of
// valid and invalid payloads on one task id (so sequences exercise both the
// accepted and the rejected paths); events are valid, canonical payloads.
import fc from 'fast-check';
import {
  TASK_STATUSES,
  type CommandMetadata,
  type TaskCommand,
  type TaskDetailsChanges,
  type TaskEvent,
  type TaskStatus,
} from '@tasklog/domain';
import { TASK_ID } from './task.fixtures.js';

const MIN_MS = Date.parse('2020-01-01T00:00:00.000Z');
const MAX_MS = Date.parse('2030-12-31T23:59:59.999Z');

export const arbInstant = fc.integer({ min: MIN_MS, max: MAX_MS }).map((ms) => new Date(ms).toISOString());
export const arbStatus: fc.Arbitrary<TaskStatus> = fc.constantFrom(...TASK_STATUSES);
export const arbId = fc.uuid();

const arbText = (maxLength: number) =>
  fc.string({ minLength: 1, maxLength, unit: 'grapheme' }).filter((s) => s.trim() === s && s !== '');
const arbTitle = fc.oneof({ weight: 9, arbitrary: arbText(40) }, { weight: 1, arbitrary: fc.constant('') });
const arbTags = fc.uniqueArray(fc.constantFrom('home', 'work', 'urgent', 'later', 'q3', 'crm'), { maxLength: 4 });
const arbOffset = fc.option(fc.integer({ min: 0, max: 24 * 60 }), { nil: null });
const arbNullableInstant = fc.option(arbInstant, { nil: null });
// Commands draw due dates from a small pool so that a FireReminder often names
// the task's current due date, and issue times around them.
const DUE_DATES = ['2026-03-01T12:00:00.000Z', '2026-03-02T12:00:00.000Z', '2026-03-05T08:30:00.000Z'];
const arbDueDate = fc.constantFrom(...DUE_DATES);
const arbIssuedAt = fc
  .integer({ min: Date.parse('2026-02-27T00:00:00.000Z'), max: Date.parse('2026-03-06T00:00:00.000Z') })
  .map((ms) => new Date(ms).toISOString());

export const arbChanges: fc.Arbitrary<TaskDetailsChanges> = fc.record(
  {
    title: arbTitle,
    description: fc.string({ maxLength: 30 }),
    dueDate: fc.option(arbDueDate, { nil: null }),
    warningOffset: arbOffset,
    category: fc.option(arbText(20), { nil: null }),
    tags: arbTags,
  },
  { requiredKeys: [] },
);

const arbMetadata = (taskId: string): fc.Arbitrary<CommandMetadata> =>
  fc
    .record({
      commandId: arbId,
      taskId: fc.constant(taskId),
      // Mostly the owner, sometimes another user (NOT_FOUND) or the scheduler.
      actorId: fc.constantFrom('user-1', 'user-1', 'user-1', 'user-2', 'scheduler'),
      issuedAt: arbIssuedAt,
      // Mostly absent, so that sequences get past the version check.
      expectedVersion: fc.option(fc.nat({ max: 6 }), { freq: 4, nil: undefined }),
      correlationId: fc.option(arbId, { nil: undefined }),
    })
    .map(({ expectedVersion, correlationId, ...rest }) => ({
      ...rest,
      // The scheduler acts on every user's tasks; users only on their own.
      ...(rest.actorId === 'scheduler' ? { actorIsAdmin: true } : {}),
      ...(expectedVersion === undefined ? {} : { expectedVersion }),
      ...(correlationId === undefined ? {} : { correlationId }),
    }));

export function arbCommand(taskId: string = TASK_ID): fc.Arbitrary<TaskCommand> {
  const metadata = arbMetadata(taskId);
  return fc.oneof(
    fc.record({
      type: fc.constant('CreateTask' as const),
      data: fc.record(
        {
          ownerId: fc.constantFrom('user-1', 'user-2'),
          title: arbTitle,
          description: fc.string({ maxLength: 30 }),
          status: arbStatus,
          dueDate: fc.option(arbDueDate, { nil: null }),
          warningOffset: arbOffset,
          category: fc.option(arbText(20), { nil: null }),
          tags: arbTags,
        },
        { requiredKeys: ['ownerId', 'title'] },
      ),
      metadata,
    }),
    fc.record({
      type: fc.constant('UpdateTaskDetails' as const),
      data: fc.record({ changes: arbChanges, status: arbStatus }, { requiredKeys: ['changes'] }),
      metadata,
    }),
    fc.record({ type: fc.constant('ChangeTaskStatus' as const), data: fc.record({ status: arbStatus }), metadata }),
    fc.record({ type: fc.constant('CompleteTask' as const), data: fc.constant({}), metadata }),
    fc.record({ type: fc.constant('DeleteTask' as const), data: fc.constant({}), metadata }),
    fc.record({ type: fc.constant('RestoreTask' as const), data: fc.constant({}), metadata }),
    fc.record({
      type: fc.constant('FireReminder' as const),
      data: fc.record({ dueDate: arbDueDate }),
      // Reminders come from the scheduler, which acts on every user's tasks.
      metadata: metadata.map((m) => ({ ...m, actorId: 'scheduler', actorIsAdmin: true })),
    }),
  );
}

export const arbCommandSequence = fc.array(arbCommand(), { minLength: 1, maxLength: 40 });

export function arbEvent(taskId: string = TASK_ID): fc.Arbitrary<TaskEvent> {
  const id = fc.constant(taskId);
  return fc.oneof(
    fc.record({
      type: fc.constant('TaskCreated' as const),
      schemaVersion: fc.constant(2 as const),
      data: fc.record({
        taskId: id,
        ownerId: arbId,
        title: arbText(200),
        description: fc.string({ maxLength: 200, unit: 'grapheme' }),
        status: arbStatus,
        dueDate: arbNullableInstant,
        warningOffset: arbOffset,
        category: fc.option(arbText(100), { nil: null }),
        tags: fc.uniqueArray(arbText(40), { maxLength: 20 }),
        createdAt: arbInstant,
      }),
    }),
    fc.record({
      type: fc.constant('TaskDetailsUpdated' as const),
      schemaVersion: fc.constant(1 as const),
      data: fc.record({ taskId: id, changes: arbChanges, updatedAt: arbInstant }),
    }),
    fc.record({
      type: fc.constant('TaskStatusChanged' as const),
      schemaVersion: fc.constant(1 as const),
      data: fc.record({ taskId: id, from: arbStatus, to: arbStatus, changedAt: arbInstant }),
    }),
    fc.record({
      type: fc.constant('TaskCompleted' as const),
      schemaVersion: fc.constant(1 as const),
      data: fc.record({ taskId: id, from: arbStatus, completedAt: arbInstant }),
    }),
    fc.record({
      type: fc.constant('TaskDeleted' as const),
      schemaVersion: fc.constant(1 as const),
      data: fc.record({ taskId: id, deletedAt: arbInstant }),
    }),
    fc.record({
      type: fc.constant('TaskRestored' as const),
      schemaVersion: fc.constant(1 as const),
      data: fc.record({ taskId: id, restoredAt: arbInstant }),
    }),
    fc.record({
      type: fc.constant('TaskReminderDue' as const),
      schemaVersion: fc.constant(1 as const),
      data: fc.record({
        taskId: id,
        dueDate: arbInstant,
        warningOffset: fc.integer({ min: 0, max: 525_600 }),
        remindAt: arbInstant,
        firedAt: arbInstant,
      }),
    }),
  );
}
