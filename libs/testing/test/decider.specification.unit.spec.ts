import { describe, expect, it } from '@jest/globals';
import { commands, events, given } from '@tasklog/testing';

describe('given/when/then', () => {
  it('fails when the events differ', () => {
    expect(() =>
      given([])
        .when(commands.create({ title: 'A' }))
        .then([events.created({ title: 'B' })]),
    ).toThrow();
  });

  it('fails when events were expected but the command was rejected', () => {
    expect(() => given([events.created()]).when(commands.create()).then([])).toThrow(/expected events, got rejection/);
  });

  it('fails when a rejection was expected but events came', () => {
    expect(() => given([]).when(commands.create()).thenRejects('TASK.VALIDATION')).toThrow(/expected rejection/);
  });

  it('fails on another rejection code or other fields', () => {
    expect(() => given([]).when(commands.delete()).thenRejects('TASK.DELETED')).toThrow();
    expect(() =>
      given([])
        .when(commands.create({ title: '' }))
        .thenRejects('TASK.VALIDATION', ['tags']),
    ).toThrow();
  });

  it('returns the state after the events and the rejection for further checks', () => {
    expect(given([]).when(commands.create()).then([events.created()])).toMatchObject({ version: 1 });
    expect(given([]).when(commands.delete()).thenRejects('TASK.NOT_FOUND')).toMatchObject({ currentVersion: 0 });
  });
});
