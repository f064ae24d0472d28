import { describe, expect, it } from '@jest/globals';
import { ALLOWED_TRANSITIONS, TASK_STATUSES, canTransition, isTerminal, type TaskStatus } from '@tasklog/domain';
import { T0, at, commands, events, given, meta } from '@tasklog/testing';

const pairs = TASK_STATUSES.flatMap((from) =>
  TASK_STATUSES.filter((to) => to !== from).map((to) => [from, to] as const),
);
const allowed = pairs.filter(([from, to]) => canTransition(from, to));
const forbidden = pairs.filter(([from, to]) => !canTransition(from, to));

/** A task that reached `status` the ordinary way. */
function taskIn(status: TaskStatus) {
  return [events.created({ status })];
}

describe('the status machine', () => {
  it('lets every active status move to every other status', () => {
    for (const from of TASK_STATUSES.filter((status) => !isTerminal(status))) {
      expect([...ALLOWED_TRANSITIONS[from]].sort()).toEqual(TASK_STATUSES.filter((s) => s !== from).sort());
    }
  });

  it('reopens terminal statuses to NOT_STARTED or IN_PROGRESS only', () => {
    expect(ALLOWED_TRANSITIONS.COMPLETED).toEqual(['NOT_STARTED', 'IN_PROGRESS']);
    expect(ALLOWED_TRANSITIONS.CANCELLED).toEqual(['NOT_STARTED', 'IN_PROGRESS']);
  });

  it('has 24 allowed and 6 forbidden transitions', () => {
    expect([allowed.length, forbidden.length]).toEqual([24, 6]);
  });
});

describe('ChangeTaskStatus', () => {
  it.each(allowed.filter(([, to]) => to !== 'COMPLETED'))('allows %s -> %s as TaskStatusChanged', (from, to) => {
    const state = given(taskIn(from))
      .when(commands.changeStatus(to, meta({ issuedAt: at(1) })))
      .then([events.statusChanged(from, to, at(1))]);
    expect(state).toMatchObject({ status: to, updatedAt: at(1), version: 2 });
  });

  it.each(allowed.filter(([, to]) => to === 'COMPLETED'))('allows %s -> COMPLETED as TaskCompleted', (from) => {
    const state = given(taskIn(from))
      .when(commands.changeStatus('COMPLETED', meta({ issuedAt: at(1) })))
      .then([events.completed(from, at(1))]);
    expect(state).toMatchObject({ status: 'COMPLETED', completedAt: at(1) });
  });

  it.each(forbidden)('forbids %s -> %s with TASK.INVALID_TRANSITION', (from, to) => {
    const rejection = given(taskIn(from)).when(commands.changeStatus(to)).thenRejects('TASK.INVALID_TRANSITION');
    expect(rejection).toMatchObject({ currentVersion: 1, message: `A task cannot go from ${from} to ${to}` });
  });

  it.each(TASK_STATUSES)('records nothing when the task is already %s', (status) => {
    given(taskIn(status)).when(commands.changeStatus(status)).then([]);
  });

  it('clears completedAt when a completed task is reopened', () => {
    const state = given([events.created(), events.completed('NOT_STARTED')])
      .when(commands.changeStatus('IN_PROGRESS', meta({ issuedAt: at(2) })))
      .then([events.statusChanged('COMPLETED', 'IN_PROGRESS', at(2))]);
    expect(state).toMatchObject({ status: 'IN_PROGRESS', completedAt: null });
  });

  it('rejects an unknown status with TASK.VALIDATION', () => {
    given(taskIn('NOT_STARTED'))
      .when(commands.changeStatus('DONE' as never))
      .thenRejects('TASK.VALIDATION', ['status']);
  });

  it('rejects an unknown task, a stale version and a deleted task', () => {
    given([]).when(commands.changeStatus('BLOCKED')).thenRejects('TASK.NOT_FOUND');
    given(taskIn('NOT_STARTED'))
      .when(commands.changeStatus('BLOCKED', meta({ expectedVersion: 7 })))
      .thenRejects('TASK.VERSION_CONFLICT');
    given([...taskIn('NOT_STARTED'), events.deleted()])
      .when(commands.changeStatus('BLOCKED'))
      .thenRejects('TASK.DELETED');
  });
});

describe('CompleteTask', () => {
  it.each(TASK_STATUSES.filter((s) => canTransition(s, 'COMPLETED')))(
    'completes a %s task and sets completedAt',
    (from) => {
      const state = given(taskIn(from))
        .when(commands.complete(meta({ issuedAt: at(3) })))
        .then([events.completed(from, at(3))]);
      expect(state).toMatchObject({ status: 'COMPLETED', completedAt: at(3), updatedAt: at(3) });
    },
  );

  it('records nothing for a task that is already completed', () => {
    given(taskIn('COMPLETED')).when(commands.complete()).then([]);
  });

  it('refuses to complete a cancelled task', () => {
    given(taskIn('CANCELLED')).when(commands.complete()).thenRejects('TASK.INVALID_TRANSITION');
  });

  it('rejects an unknown task, a stale version and a deleted task', () => {
    given([]).when(commands.complete()).thenRejects('TASK.NOT_FOUND');
    given(taskIn('IN_PROGRESS'))
      .when(commands.complete(meta({ expectedVersion: 0 })))
      .thenRejects('TASK.VERSION_CONFLICT');
    given([...taskIn('IN_PROGRESS'), events.deleted()])
      .when(commands.complete())
      .thenRejects('TASK.DELETED');
  });

  it('keeps the completion time of the event, not of the creation', () => {
    const state = given([events.created({ createdAt: T0 })])
      .when(commands.complete(meta({ issuedAt: at(60) })))
      .then([events.completed('NOT_STARTED', at(60))]);
    expect(state).toMatchObject({ createdAt: T0, completedAt: at(60) });
  });
});
