import { describe, expect, it } from '@jest/globals';
import { at, commands, events, given, meta } from '@tasklog/testing';

const existing = events.created({
  title: 'Old',
  description: 'desc',
  dueDate: '2026-02-01T10:00:00.000Z',
  warningOffset: 60,
  category: 'work',
  tags: ['a', 'b'],
});

describe('UpdateTaskDetails', () => {
  it('records only the fields whose value changed', () => {
    const command = commands.update({ title: 'New', description: 'desc', category: 'work' }, meta({ issuedAt: at(5) }));
    const state = given([existing])
      .when(command)
      .then([events.detailsUpdated({ title: 'New' }, at(5))]);
    expect(state).toMatchObject({ title: 'New', description: 'desc', updatedAt: at(5), version: 2 });
  });

  it('changes every writable field at once', () => {
    const changes = {
      title: 'T',
      description: '',
      dueDate: '2026-03-01T00:00:00.000Z',
      warningOffset: 0,
      category: 'home',
      tags: ['c'],
    };
    const state = given([existing])
      .when(commands.update(changes))
      .then([events.detailsUpdated(changes)]);
    expect(state).toMatchObject({ ...changes, tags: ['c'] });
  });

  it('clears nullable fields with null', () => {
    const changes = { dueDate: null, warningOffset: null, category: null };
    const state = given([existing])
      .when(commands.update(changes))
      .then([events.detailsUpdated(changes)]);
    expect(state).toMatchObject({ dueDate: null, warningOffset: null, category: null });
  });

  it('produces no event when nothing changes', () => {
    given([existing])
      .when(commands.update({ title: ' Old ', dueDate: '2026-02-01T11:00:00+01:00', tags: ['b', 'a'] }))
      .then([]);
  });

  it('produces no event for an empty patch', () => {
    given([existing]).when(commands.update({})).then([]);
  });

  it('changes details and status together, details first', () => {
    given([existing])
      .when(commands.update({ title: 'New' }, meta(), 'IN_PROGRESS'))
      .then([events.detailsUpdated({ title: 'New' }), events.statusChanged('NOT_STARTED', 'IN_PROGRESS')]);
  });

  it('completes through the status field like CompleteTask', () => {
    const state = given([existing])
      .when(commands.update({}, meta({ issuedAt: at(9) }), 'COMPLETED'))
      .then([events.completed('NOT_STARTED', at(9))]);
    expect(state).toMatchObject({ status: 'COMPLETED', completedAt: at(9) });
  });

  it('rejects the whole command when the status change is forbidden', () => {
    given([existing, events.completed('NOT_STARTED')])
      .when(commands.update({ title: 'New' }, meta(), 'BLOCKED'))
      .thenRejects('TASK.INVALID_TRANSITION');
  });

  it('rejects invalid fields with TASK.VALIDATION', () => {
    given([existing])
      .when(commands.update({ title: '', tags: ['x', 'x'], warningOffset: 525_601 }))
      .thenRejects('TASK.VALIDATION', ['title', 'warningOffset', 'tags']);
  });

  it('rejects an unknown status with TASK.VALIDATION', () => {
    given([existing])
      .when(commands.update({}, meta(), 'DONE' as never))
      .thenRejects('TASK.VALIDATION', ['status']);
  });

  it('rejects an unknown task with TASK.NOT_FOUND', () => {
    given([])
      .when(commands.update({ title: 'x' }))
      .thenRejects('TASK.NOT_FOUND');
  });

  it('rejects a stale expected version with TASK.VERSION_CONFLICT', () => {
    const rejection = given([existing, events.detailsUpdated({ title: 'B' })])
      .when(commands.update({ title: 'C' }, meta({ expectedVersion: 1 })))
      .thenRejects('TASK.VERSION_CONFLICT');
    expect(rejection.currentVersion).toBe(2);
  });

  it('accepts the current expected version', () => {
    given([existing])
      .when(commands.update({ title: 'C' }, meta({ expectedVersion: 1 })))
      .then([events.detailsUpdated({ title: 'C' })]);
  });

  it('rejects a command addressed to another task id', () => {
    given([existing])
      .when(commands.update({ title: 'C' }, meta({ taskId: 'other' })))
      .thenRejects('TASK.VALIDATION', ['metadata.taskId']);
  });
});
