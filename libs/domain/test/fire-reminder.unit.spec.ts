import { describe, expect, it } from '@jest/globals';
import { reminderDueAt, type ExistingTask } from '@tasklog/domain';
import { T0, at, commands, events, given, meta } from '@tasklog/testing';

// Due one hour after T0, reminder 30 minutes before: due at T0 + 30 min.
const DUE = at(60);
const created = events.created({ dueDate: DUE, warningOffset: 30 });
const fire = (issuedAtMinutes: number, dueDate = DUE) =>
  commands.fireReminder(dueDate, meta({ issuedAt: at(issuedAtMinutes), actorId: 'scheduler', actorIsAdmin: true }));

describe('FireReminder', () => {
  it('fires when the reminder is due', () => {
    const state = given([created])
      .when(fire(30))
      .then([events.reminderDue(DUE, 30, at(30), at(30))]);
    expect(state).toMatchObject({ reminder: { firedForDueDate: DUE, firedAt: at(30) }, updatedAt: T0, version: 2 });
  });

  it('fires late too (the scheduler was down)', () => {
    given([created])
      .when(fire(90))
      .then([events.reminderDue(DUE, 30, at(30), at(90))]);
  });

  it('does not fire before it is due', () => {
    given([created]).when(fire(29)).then([]);
  });

  it('fires at most once per due date', () => {
    given([created, events.reminderDue(DUE, 30, at(30), at(30))])
      .when(fire(31))
      .then([]);
  });

  it('fires again once the due date has moved', () => {
    const moved = at(120);
    given([created, events.reminderDue(DUE, 30, at(30), at(30)), events.detailsUpdated({ dueDate: moved })])
      .when(fire(95, moved))
      .then([events.reminderDue(moved, 30, at(90), at(95))]);
  });

  it('records nothing when the scheduler names a due date the task no longer has', () => {
    given([created, events.detailsUpdated({ dueDate: at(120) })])
      .when(fire(40))
      .then([]);
  });

  it('records nothing for a task without due date or warning offset', () => {
    given([events.created({ dueDate: DUE })])
      .when(fire(59))
      .then([]);
    given([events.created({ warningOffset: 30 })])
      .when(fire(59))
      .then([]);
  });

  it.each(['COMPLETED', 'CANCELLED'] as const)('never fires for a %s task', (status) => {
    given([events.created({ dueDate: DUE, warningOffset: 30, status })])
      .when(fire(40))
      .then([]);
  });

  it('never fires for a deleted task (TASK.DELETED)', () => {
    given([created, events.deleted()]).when(fire(40)).thenRejects('TASK.DELETED');
  });

  it('rejects an unknown task and a malformed due date', () => {
    given([]).when(fire(40)).thenRejects('TASK.NOT_FOUND');
    given([created]).when(commands.fireReminder('soon', meta())).thenRejects('TASK.VALIDATION', ['dueDate']);
  });

  it('fires with a zero offset at the due date itself', () => {
    given([events.created({ dueDate: DUE, warningOffset: 0 })])
      .when(fire(60))
      .then([events.reminderDue(DUE, 0, DUE, DUE)]);
  });
});

describe('reminderDueAt', () => {
  const base = given([])
    .when(commands.create({ dueDate: DUE, warningOffset: 30 }))
    .then([created]) as ExistingTask;

  it('is the due date minus the offset', () => {
    expect(reminderDueAt(base)).toBe(at(30));
  });

  it('is null once fired, when finished or deleted, or without an offset', () => {
    expect(reminderDueAt({ ...base, reminder: { firedForDueDate: DUE, firedAt: at(30) } })).toBeNull();
    expect(reminderDueAt({ ...base, status: 'CANCELLED' })).toBeNull();
    expect(reminderDueAt({ ...base, deletedAt: at(1) })).toBeNull();
    expect(reminderDueAt({ ...base, warningOffset: null })).toBeNull();
  });
});
