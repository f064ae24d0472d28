import { describe, expect, it } from '@jest/globals';
import { EventNotApplicableError, evolve, foldTask, initialState, type TaskEvent } from '@tasklog/domain';
import { T0, TASK_ID, at, events } from '@tasklog/testing';

describe('evolve', () => {
  it('starts from an absent task at version 0', () => {
    expect(initialState()).toEqual({ exists: false, version: 0 });
  });

  it('builds the whole state from TaskCreated', () => {
    expect(foldTask([events.created({ tags: ['a'], category: 'c' })])).toEqual({
      exists: true,
      taskId: TASK_ID,
      ownerId: 'user-1',
      title: 'Write the design',
      description: '',
      status: 'NOT_STARTED',
      dueDate: null,
      warningOffset: null,
      category: 'c',
      tags: ['a'],
      createdAt: T0,
      updatedAt: T0,
      completedAt: null,
      deletedAt: null,
      reminder: { firedForDueDate: null, firedAt: null },
      version: 1,
    });
  });

  it('counts every event in the version, reminders included', () => {
    const state = foldTask([
      events.created({ dueDate: at(60), warningOffset: 10 }),
      events.detailsUpdated({ title: 'x' }, at(1)),
      events.statusChanged('NOT_STARTED', 'BLOCKED', at(2)),
      events.reminderDue(at(60), 10, at(50), at(50)),
      events.deleted(at(70)),
      events.restored(at(80)),
      events.completed('BLOCKED', at(90)),
    ]);
    expect(state).toMatchObject({
      version: 7,
      status: 'COMPLETED',
      completedAt: at(90),
      updatedAt: at(90),
      deletedAt: null,
    });
  });

  const cannotApply: [string, TaskEvent[], TaskEvent][] = [
    ['an update of an absent task', [], events.detailsUpdated({ title: 'x' })],
    ['a second creation', [events.created()], events.created()],
    [
      'an event of another task',
      [events.created()],
      { type: 'TaskDeleted', schemaVersion: 1, data: { taskId: 'other', deletedAt: T0 } },
    ],
    ['a status change from the wrong status', [events.created()], events.statusChanged('BLOCKED', 'IN_PROGRESS')],
    ['a status change into COMPLETED', [events.created()], events.statusChanged('NOT_STARTED', 'COMPLETED')],
    ['a status change to the same status', [events.created()], events.statusChanged('NOT_STARTED', 'NOT_STARTED')],
    ['a completion from the wrong status', [events.created()], events.completed('IN_PROGRESS')],
    ['an update of a deleted task', [events.created(), events.deleted()], events.detailsUpdated({ title: 'x' })],
    ['a restore of a live task', [events.created()], events.restored()],
  ];

  it.each(cannotApply)('throws EventNotApplicableError for %s', (_, history, event) => {
    const state = foldTask(history);
    expect(() => evolve(state, event)).toThrow(EventNotApplicableError);
  });
});
