import { describe, expect, it } from '@jest/globals';
import { TASK_ID, T0, commands, events, given, meta } from '@tasklog/testing';

describe('CreateTask', () => {
  it('creates a NOT_STARTED task with defaults', () => {
    const state = given([]).when(commands.create()).then([events.created()]);
    expect(state).toMatchObject({ exists: true, version: 1, createdAt: T0, updatedAt: T0, completedAt: null });
  });

  it('records every writable field, normalized (trimmed texts, canonical instants)', () => {
    const command = commands.create({
      title: '  Ship it ',
      description: ' as is ',
      status: 'IN_PROGRESS',
      dueDate: '2026-02-01T10:00:00+01:00',
      warningOffset: 30,
      category: ' work ',
      tags: ['a', ' b'],
    });
    given([])
      .when(command)
      .then([
        events.created({
          title: 'Ship it',
          description: ' as is ',
          status: 'IN_PROGRESS',
          dueDate: '2026-02-01T09:00:00.000Z',
          warningOffset: 30,
          category: 'work',
          tags: ['a', 'b'],
        }),
      ]);
  });

  it('accepts a date-only due date as midnight UTC', () => {
    given([])
      .when(commands.create({ dueDate: '2026-02-01' }))
      .then([events.created({ dueDate: '2026-02-01T00:00:00.000Z' })]);
  });

  it('sets completedAt when the task is created COMPLETED', () => {
    const state = given([])
      .when(commands.create({ status: 'COMPLETED' }))
      .then([events.created({ status: 'COMPLETED' })]);
    expect(state).toMatchObject({ completedAt: T0 });
  });

  it('accepts expectedVersion 0 for a new task', () => {
    given([])
      .when(commands.create({}, meta({ expectedVersion: 0 })))
      .then([events.created()]);
  });

  it('rejects a second creation with TASK.ALREADY_EXISTS', () => {
    const rejection = given([events.created()]).when(commands.create()).thenRejects('TASK.ALREADY_EXISTS');
    expect(rejection.currentVersion).toBe(1);
  });

  it('rejects a creation expecting another version with TASK.VERSION_CONFLICT', () => {
    given([])
      .when(commands.create({}, meta({ expectedVersion: 3 })))
      .thenRejects('TASK.VERSION_CONFLICT');
  });

  it.each([
    ['a blank title', { title: '   ' }, ['title']],
    ['a 201-character title', { title: 'x'.repeat(201) }, ['title']],
    ['a 5001-character description', { description: 'x'.repeat(5001) }, ['description']],
    ['a due date that is not ISO 8601', { dueDate: 'tomorrow' }, ['dueDate']],
    ['an impossible calendar date', { dueDate: '2026-02-30T10:00:00Z' }, ['dueDate']],
    ['a due date without a zone', { dueDate: '2026-02-01T10:00:00' }, ['dueDate']],
    ['a negative warning offset', { warningOffset: -1 }, ['warningOffset']],
    ['a fractional warning offset', { warningOffset: 1.5 }, ['warningOffset']],
    ['a 101-character category', { category: 'c'.repeat(101) }, ['category']],
    ['21 tags', { tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }, ['tags']],
    ['a repeated tag', { tags: ['a', 'b', 'a'] }, ['tags']],
    ['a 41-character tag', { tags: ['t'.repeat(41)] }, ['tags[0]']],
    ['a blank tag', { tags: ['ok', ' '] }, ['tags[1]']],
    ['an unknown status', { status: 'DONE' as never }, ['status']],
    ['a missing owner', { ownerId: '' }, ['ownerId']],
    ['a NUL character', { title: 'a\u0000b' }, ['title']],
    ['an unpaired surrogate', { description: 'a\uD800' }, ['description']],
  ])('rejects %s with TASK.VALIDATION', (_, data, fields) => {
    given([]).when(commands.create(data)).thenRejects('TASK.VALIDATION', fields);
  });

  it('counts characters, not UTF-16 units, against the title limit', () => {
    const title = '😀'.repeat(200);
    given([])
      .when(commands.create({ title }))
      .then([events.created({ title })]);
  });

  it('reports all field errors at once', () => {
    const rejection = given([])
      .when(commands.create({ title: '', warningOffset: -5, tags: ['x', 'x'] }))
      .thenRejects('TASK.VALIDATION', ['title', 'warningOffset', 'tags']);
    expect(rejection.message).toContain('title is required');
  });

  it.each([
    ['issuedAt', { issuedAt: 'yesterday' }],
    ['commandId', { commandId: '' }],
    ['actorId', { actorId: ' ' }],
    ['expectedVersion', { expectedVersion: -1 }],
  ])('rejects invalid metadata.%s with TASK.VALIDATION', (field, overrides) => {
    given([])
      .when(commands.create({}, meta(overrides)))
      .thenRejects('TASK.VALIDATION', [`metadata.${field}`]);
  });

  it('creates the task under the id of the metadata', () => {
    const state = given([]).when(commands.create()).then([events.created()]);
    expect(state).toMatchObject({ taskId: TASK_ID });
  });
});
