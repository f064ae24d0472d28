import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { expectProblem } from './api.harness.js';
import { commandsFixture, waitFor, type Caller, type CommandsFixture } from './commands/commands.fixture.js';

// The REST commands end to end: the API and the command processor in
// process, on the real broker, PostgreSQL and Redis.
describe('command API (REST)', () => {
  let fx: CommandsFixture;
  let alice: Caller;
  let bob: Caller;
  let admin: Caller;

  beforeAll(async () => {
    fx = await commandsFixture();
    alice = await fx.as('alice');
    bob = await fx.as('bob');
    admin = await fx.as('root', ['admin']);
  }, 90_000);

  afterAll(async () => {
    await fx?.close();
  }, 60_000);

  const create = (caller: Caller, body: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
    caller('POST', '/tasks', { body: { taskTitle: 'Write the report', ...body }, headers });

  const eventsOf = async (taskId: string) => (await fx.events()).filter((e) => e.recorded.metadata.taskId === taskId);

  it("runs the reference client's flow: create, set taskStatus COMPLETED with PATCH, delete", async () => {
    const client = await fx.as('1');
    const dueDate = new Date(Date.now() + 86_400_000).toISOString();
    const created = await client('POST', '/tasks', {
      body: { userId: 1, taskTitle: 'New task', taskDescription: 'From the guide', dueDate, warningOffset: 60 },
    });
    expect(created.status).toBe(201);
    const taskId = created.json['taskId'] as string;
    expect(taskId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(created.headers.get('location')).toBe(`/api/v1/tasks/${taskId}`);
    expect(created.headers.get('etag')).toBe('"1"');
    expect(created.headers.get('x-consistency-token')).toMatch(/^\d+:\d+$/);
    expect(created.json).toMatchObject({
      userId: '1',
      taskTitle: 'New task',
      taskDescription: 'From the guide',
      taskStatus: 'NOT_STARTED',
      dueDate,
      warningOffset: 60,
      version: 1,
    });

    const completed = await client('PATCH', `/tasks/${taskId}`, { body: { taskStatus: 'COMPLETED' } });
    expect(completed.status).toBe(200);
    expect(completed.json).toMatchObject({ taskId, taskStatus: 'COMPLETED', version: 2 });
    expect(completed.json['completedAt']).toEqual(expect.any(String));
    expect(completed.headers.get('etag')).toBe('"2"');

    const deleted = await client('DELETE', `/tasks/${taskId}`);
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    expect(deleted.headers.get('etag')).toBe('"3"');
    expect((await eventsOf(taskId)).map((e) => e.recorded.event.type)).toEqual([
      'TaskCreated',
      'TaskCompleted',
      'TaskDeleted',
    ]);
  });

  it('defaults the owner to the caller; naming another user needs the admin scope', async () => {
    const own = await create(alice);
    expect(own.status).toBe(201);
    expect(own.json['userId']).toBe('alice');
    expectProblem(await create(alice, { userId: 'bob' }), 403, 'AUTH.FORBIDDEN');
    const forBob = await create(admin, { userId: 'bob' });
    expect(forBob.status).toBe(201);
    expect(forBob.json['userId']).toBe('bob');
  });

  it("answers 404 for another user's task on every command endpoint and appends nothing; admin may act", async () => {
    const taskId = (await create(alice)).json['taskId'] as string;
    const attempts = [
      bob('PATCH', `/tasks/${taskId}`, { body: { taskTitle: 'Mine now' } }),
      bob('POST', `/tasks/${taskId}/complete`),
      bob('DELETE', `/tasks/${taskId}`),
      bob('POST', `/tasks/${taskId}/restore`),
    ];
    for (const response of await Promise.all(attempts)) expectProblem(response, 404, 'TASK.NOT_FOUND');
    expect((await eventsOf(taskId)).map((e) => e.recorded.event.type)).toEqual(['TaskCreated']);

    const byAdmin = await admin('PATCH', `/tasks/${taskId}`, { body: { taskTitle: 'Renamed by the operator' } });
    expect(byAdmin.status).toBe(200);
    expect(byAdmin.json).toMatchObject({ userId: 'alice', taskTitle: 'Renamed by the operator', version: 2 });
  });

  it('maps rejections: unknown task 404, invalid transition 409, deleted 409, stale If-Match 412', async () => {
    expectProblem(
      await alice('PATCH', '/tasks/01936f0e-8c3a-7b2e-9f41-3c5d2a1b0e77', { body: { taskTitle: 'x' } }),
      404,
      'TASK.NOT_FOUND',
    );
    expectProblem(await alice('POST', '/tasks/not-a-task-id/complete'), 404, 'TASK.NOT_FOUND');
    const taskId = (await create(alice)).json['taskId'] as string;
    expect((await alice('POST', `/tasks/${taskId}/complete`)).status).toBe(200);
    const transition = await alice('PATCH', `/tasks/${taskId}`, { body: { taskStatus: 'BLOCKED' } });
    expectProblem(transition, 409, 'TASK.INVALID_TRANSITION');
    expect(transition.json['currentVersion']).toBe(2);

    const stale = await alice('PATCH', `/tasks/${taskId}`, {
      body: { taskTitle: 'late' },
      headers: { 'if-match': '"1"' },
    });
    expectProblem(stale, 412, 'TASK.VERSION_CONFLICT');
    expect(stale.json['currentVersion']).toBe(2);
    const fresh = await alice('PATCH', `/tasks/${taskId}`, {
      body: { taskTitle: 'on time' },
      headers: { 'if-match': '"2"' },
    });
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get('etag')).toBe('"3"');

    expect((await alice('DELETE', `/tasks/${taskId}`)).status).toBe(204);
    expectProblem(await alice('POST', `/tasks/${taskId}/complete`), 409, 'TASK.DELETED');
    const restored = await alice('POST', `/tasks/${taskId}/restore`);
    expect(restored.status).toBe(200);
    expect(restored.json).toMatchObject({ taskId, deletedAt: null, version: 5 });
  });

  it('refuses invalid bodies and headers with 400 and the public field names', async () => {
    const missing = await alice('POST', '/tasks', { body: { taskDescription: 'no title' } });
    expectProblem(missing, 400, 'REQUEST.VALIDATION');
    expect(missing.json['errors']).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'taskTitle' })]));
    const bad = await create(alice, {
      dueDate: '2026-02-30T10:00:00Z',
      warningOffset: -5,
      tags: ['a', 'a'],
      colour: 'red',
    });
    expectProblem(bad, 400, 'REQUEST.VALIDATION');
    expect((bad.json['errors'] as { field: string }[]).map((e) => e.field).sort()).toEqual(
      ['colour', 'dueDate', 'tags', 'warningOffset'].sort(),
    );
    const taskId = (await create(alice)).json['taskId'] as string;
    expectProblem(await alice('PATCH', `/tasks/${taskId}`, { body: { taskTitle: null } }), 400, 'REQUEST.VALIDATION');
    expectProblem(
      await alice('PATCH', `/tasks/${taskId}`, { body: {}, headers: { 'if-match': 'W/"1"' } }),
      400,
      'REQUEST.VALIDATION',
    );
    const cleared = await alice('PATCH', `/tasks/${taskId}`, {
      body: { dueDate: null, category: 'home', tags: ['x'] },
    });
    expect(cleared.status).toBe(200);
    expect(cleared.json).toMatchObject({ dueDate: null, category: 'home', tags: ['x'] });
  });

  it('answers an accepted no-op with 200 and the unchanged task', async () => {
    const taskId = (await create(alice)).json['taskId'] as string;
    const same = await alice('PATCH', `/tasks/${taskId}`, { body: { taskTitle: 'Write the report' } });
    expect(same.status).toBe(200);
    expect(same.json).toMatchObject({ taskId, version: 1 });
    expect(same.headers.get('etag')).toBe('"1"');
  });

  it('answers Prefer: respond-async with 202 and tells the outcome at GET /commands/{id}; owner only', async () => {
    const accepted = await create(alice, {}, { prefer: 'respond-async' });
    expect(accepted.status).toBe(202);
    const location = accepted.headers.get('location')!;
    expect(location).toMatch(/^\/api\/v1\/commands\/[0-9a-f-]{36}$/);
    expect(accepted.headers.get('retry-after')).toBe('1');
    expect(accepted.headers.get('preference-applied')).toBe('respond-async');
    expect(accepted.json).toMatchObject({ status: 'pending', statusUrl: location });
    const path = location.replace('/api/v1', '');
    const status = await waitFor(
      async () => {
        const r = await alice('GET', path);
        return r.json['status'] === 'accepted' ? r : undefined;
      },
      15_000,
      'the command to be decided',
    );
    expect(status.json).toMatchObject({
      commandId: accepted.json['commandId'],
      taskId: accepted.json['taskId'],
      commandType: 'CreateTask',
      version: 1,
      task: { taskId: accepted.json['taskId'], userId: 'alice' },
      consistencyToken: expect.stringMatching(/^\d+:\d+$/),
    });
    expectProblem(await bob('GET', path), 404, 'COMMAND.NOT_FOUND');
    expect((await admin('GET', path)).status).toBe(200);
  });

  it('reports a rejected command with the problem it answered', async () => {
    const taskId = (await create(alice)).json['taskId'] as string;
    const stale = await alice('DELETE', `/tasks/${taskId}`, { headers: { 'if-match': '"7"' } });
    expectProblem(stale, 412, 'TASK.VERSION_CONFLICT');
    const commandId = stale.headers.get('x-command-id')!;
    const status = await waitFor(
      async () => {
        const r = await alice('GET', `/commands/${commandId}`);
        return r.json['status'] === 'rejected' ? r : undefined;
      },
      10_000,
      'the rejection to be stored',
    );
    expect(status.json['problem']).toMatchObject({ code: 'TASK.VERSION_CONFLICT', status: 412, currentVersion: 1 });
  });

  it('falls back to 202 when the outcome does not come in time; the command is processed later', async () => {
    await fx.stopProcessor();
    try {
      const started = Date.now();
      const pending = await create(alice, { taskTitle: 'While the processor is away' }, { prefer: 'wait=1' });
      expect(pending.status).toBe(202);
      expect(Date.now() - started).toBeLessThan(3000);
      await fx.startProcessor();
      const status = await waitFor(
        async () => {
          const r = await alice('GET', `/commands/${pending.json['commandId']}`);
          return r.json['status'] === 'accepted' ? r : undefined;
        },
        30_000,
        'the command to be decided after the processor came back',
      );
      expect(status.json['task']).toMatchObject({ taskTitle: 'While the processor is away' });
    } finally {
      await fx.startProcessor();
    }
  }, 60_000);

  it('documents every command endpoint, header and error in OpenAPI', async () => {
    const doc = (await fetch(`${fx.api.baseUrl}/docs-json`).then((r) => r.json())) as {
      paths: Record<string, Record<string, { parameters?: { name: string }[]; responses: Record<string, unknown> }>>;
    };
    expect(Object.keys(doc.paths['/api/v1/tasks']!)).toContain('post');
    expect(Object.keys(doc.paths['/api/v1/tasks/{id}']!)).toEqual(expect.arrayContaining(['patch', 'delete']));
    expect(doc.paths['/api/v1/tasks/{id}/complete']!['post']).toBeDefined();
    expect(doc.paths['/api/v1/tasks/{id}/restore']!['post']).toBeDefined();
    expect(doc.paths['/api/v1/commands/{commandId}']!['get']).toBeDefined();
    const patch = doc.paths['/api/v1/tasks/{id}']!['patch']!;
    expect(patch.parameters!.map((p) => p.name)).toEqual(
      expect.arrayContaining(['Idempotency-Key', 'Prefer', 'If-Match']),
    );
    expect(Object.keys(patch.responses)).toEqual(
      expect.arrayContaining(['200', '202', '400', '404', '409', '412', '422', '503']),
    );
  });
});
