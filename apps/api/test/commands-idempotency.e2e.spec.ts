import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { keyOf } from '../src/commands/store/idempotency.store.js';
import { CommandsRuntime } from '../src/commands/commands.module.js';
import { expectProblem } from './api.harness.js';
import { commandsFixture, type Caller, type CommandsFixture } from './commands/commands.fixture.js';

// Idempotency-Key and If-Match under retries and concurrency, end to end.
describe('command API: Idempotency-Key and If-Match', () => {
  let fx: CommandsFixture;
  let alice: Caller;
  let bob: Caller;

  beforeAll(async () => {
    fx = await commandsFixture();
    alice = await fx.as('alice');
    bob = await fx.as('bob');
  }, 90_000);

  afterAll(async () => {
    await fx?.close();
  }, 60_000);

  const createdEvents = async (taskId: string) =>
    (await fx.events()).filter((e) => e.recorded.metadata.taskId === taskId && e.recorded.event.type === 'TaskCreated');
  const body = { taskTitle: 'Pay the invoice', dueDate: '2026-12-24T12:00:00+01:00', warningOffset: 30 };

  it('replays a retried create with the same key: the same task, one TaskCreated in the log', async () => {
    const headers = { 'idempotency-key': 'invoice-42' };
    const first = await alice('POST', '/tasks', { body, headers });
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const retry = await alice('POST', '/tasks', { body, headers });
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.json).toEqual(first.json);
    for (const name of ['location', 'etag', 'x-consistency-token', 'x-command-id'])
      expect(retry.headers.get(name)).toBe(first.headers.get(name));
    expect(await createdEvents(first.json['taskId'] as string)).toHaveLength(1);
  });

  it('refuses the same key with another body (422); the key is scoped to the user', async () => {
    const headers = { 'idempotency-key': 'scoped-key' };
    const first = await alice('POST', '/tasks', { body, headers });
    expect(first.status).toBe(201);
    expectProblem(
      await alice('POST', '/tasks', { body: { ...body, taskTitle: 'Another task' }, headers }),
      422,
      'IDEMPOTENCY.KEY_REUSED',
    );
    const bobs = await bob('POST', '/tasks', { body, headers });
    expect(bobs.status).toBe(201);
    expect(bobs.json['taskId']).not.toBe(first.json['taskId']);
  });

  it('gives concurrent requests with one key one task and one event', async () => {
    const headers = { 'idempotency-key': 'burst' };
    const answers = await Promise.all(Array.from({ length: 5 }, () => alice('POST', '/tasks', { body, headers })));
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 201, 201]);
    expect(new Set(answers.map((a) => a.json['taskId'])).size).toBe(1);
    expect(answers.filter((a) => a.headers.get('idempotent-replayed') === null)).toHaveLength(1);
    expect(await createdEvents(answers[0]!.json['taskId'] as string)).toHaveLength(1);
  });

  it('stays safe when the idempotency record is lost: the derived ids let the processor dedup', async () => {
    const headers = { 'idempotency-key': 'lost-record' };
    const first = await alice('POST', '/tasks', { body, headers });
    expect(first.status).toBe(201);
    await fx.api.app.get(CommandsRuntime).deps.redis.del(keyOf('alice', 'lost-record'));
    const retry = await alice('POST', '/tasks', { body, headers });
    expect(retry.status).toBe(201);
    expect(retry.json['taskId']).toBe(first.json['taskId']);
    expect(await createdEvents(first.json['taskId'] as string)).toHaveLength(1);
  });

  it('replays updates and rejections too', async () => {
    const taskId = (await alice('POST', '/tasks', { body })).json['taskId'] as string;
    const headers = { 'idempotency-key': 'rename-1', 'if-match': '"1"' };
    const renamed = await alice('PATCH', `/tasks/${taskId}`, { body: { taskTitle: 'Renamed' }, headers });
    expect(renamed.status).toBe(200);
    const again = await alice('PATCH', `/tasks/${taskId}`, { body: { taskTitle: 'Renamed' }, headers });
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.json['version']).toBe(2);

    const staleHeaders = { 'idempotency-key': 'stale-1', 'if-match': '"1"' };
    expectProblem(
      await alice('POST', `/tasks/${taskId}/complete`, { headers: staleHeaders }),
      412,
      'TASK.VERSION_CONFLICT',
    );
    const replayed = await alice('POST', `/tasks/${taskId}/complete`, { headers: staleHeaders });
    expectProblem(replayed, 412, 'TASK.VERSION_CONFLICT');
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
  });

  it('lets exactly one of concurrent PATCHes with the same If-Match win; the others get 412', async () => {
    const taskId = (await alice('POST', '/tasks', { body })).json['taskId'] as string;
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        alice('PATCH', `/tasks/${taskId}`, { body: { taskTitle: `Edit ${i}` }, headers: { 'if-match': '"1"' } }),
      ),
    );
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([200, 412, 412, 412, 412, 412, 412, 412]);
    for (const lost of answers.filter((a) => a.status === 412)) expect(lost.json['currentVersion']).toBe(2);
    const updates = (await fx.events()).filter(
      (e) => e.recorded.metadata.taskId === taskId && e.recorded.event.type === 'TaskDetailsUpdated',
    );
    expect(updates).toHaveLength(1);
  });
});
