import { describe, expect, it } from '@jest/globals';
import type { TaskCommand } from '@tasklog/domain';
import { at, commands, events, given, meta } from '@tasklog/testing';

const created = events.created({ dueDate: '2026-01-10T10:00:00.000Z', warningOffset: 30 });

describe('DeleteTask', () => {
  it('soft-deletes: the task keeps its data and gets deletedAt', () => {
    const state = given([created])
      .when(commands.delete(meta({ issuedAt: at(4) })))
      .then([events.deleted(at(4))]);
    expect(state).toMatchObject({ exists: true, title: 'Write the design', deletedAt: at(4), version: 2 });
  });

  it('rejects an unknown task with TASK.NOT_FOUND', () => {
    given([]).when(commands.delete()).thenRejects('TASK.NOT_FOUND');
  });

  it('checks the expected version', () => {
    given([created])
      .when(commands.delete(meta({ expectedVersion: 2 })))
      .thenRejects('TASK.VERSION_CONFLICT');
  });

  const everythingButRestore: [string, TaskCommand][] = [
    ['UpdateTaskDetails', commands.update({ title: 'x' })],
    ['ChangeTaskStatus', commands.changeStatus('IN_PROGRESS')],
    ['CompleteTask', commands.complete()],
    ['DeleteTask', commands.delete()],
    ['FireReminder', commands.fireReminder('2026-01-10T10:00:00.000Z', meta({ issuedAt: at(60) }))],
  ];

  it.each(everythingButRestore)('makes a deleted task reject %s with TASK.DELETED', (_, command) => {
    const rejection = given([created, events.deleted()]).when(command).thenRejects('TASK.DELETED');
    expect(rejection.currentVersion).toBe(2);
  });

  it('makes a deleted task reject CreateTask with TASK.ALREADY_EXISTS', () => {
    given([created, events.deleted()]).when(commands.create()).thenRejects('TASK.ALREADY_EXISTS');
  });
});

describe('RestoreTask', () => {
  it('restores a deleted task', () => {
    const state = given([created, events.deleted()])
      .when(commands.restore(meta({ issuedAt: at(8) })))
      .then([events.restored(at(8))]);
    expect(state).toMatchObject({ deletedAt: null, updatedAt: at(8), version: 3 });
  });

  it('records nothing for a task that is not deleted', () => {
    given([created]).when(commands.restore()).then([]);
  });

  it('rejects an unknown task and a stale version', () => {
    given([]).when(commands.restore()).thenRejects('TASK.NOT_FOUND');
    given([created, events.deleted()])
      .when(commands.restore(meta({ expectedVersion: 1 })))
      .thenRejects('TASK.VERSION_CONFLICT');
  });

  it('gives back a task that accepts commands again', () => {
    given([created, events.deleted(), events.restored()])
      .when(commands.update({ title: 'Back' }))
      .then([events.detailsUpdated({ title: 'Back' })]);
  });
});
