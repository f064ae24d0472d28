// tasklog.v1.TaskQueriesService end to end: the REST queries' rules over
// gRPC (credentials as metadata, ownership, validation, consistency tokens).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import grpc from '@grpc/grpc-js';
import { taskQueriesClient } from './queries/grpc-queries.client.js';
import { queriesFixture, type QueriesFixture } from './queries/queries.fixture.js';

describe('query API (gRPC)', () => {
  let fx: QueriesFixture;
  let client: ReturnType<typeof taskQueriesClient>;
  const bearer = async (user: string, scopes?: string[]) => ({
    authorization: `Bearer ${await fx.token(user, scopes)}`,
  });

  beforeAll(async () => {
    fx = await queriesFixture();
    await fx.startProjector();
    client = taskQueriesClient(fx.grpcQueriesPort);
  }, 120_000);
  afterAll(async () => {
    client?.close();
    await fx?.close();
  }, 60_000);

  it("gets, lists and counts the caller's tasks; another user's task is NOT_FOUND", async () => {
    const alice = await fx.as('grpc-alice');
    const due = new Date(Date.now() - 3_600_000).toISOString();
    const created = await fx.createTask(alice, { taskTitle: 'Over gRPC', dueDate: due, tags: ['x'] });
    const id = created.task['taskId'] as string;
    const headers = { ...(await bearer('grpc-alice')), 'x-consistency-token': created.token };

    const got = await client.call('GetTask', { taskId: id }, headers);
    expect(got).toMatchObject({
      ok: true,
      response: {
        task: {
          taskId: id,
          userId: 'grpc-alice',
          taskTitle: 'Over gRPC',
          taskStatus: 'TASK_STATUS_NOT_STARTED',
          tags: ['x'],
          version: 1,
        },
      },
    });
    const dueDate = (got as unknown as { response: { task: { dueDate: { seconds: string } } } }).response.task.dueDate;
    expect(Number(dueDate.seconds) * 1000).toBe(Math.floor(Date.parse(due) / 1000) * 1000);

    const listed = await client.call('ListTasks', { taskStatuses: ['TASK_STATUS_NOT_STARTED'], limit: 10 }, headers);
    expect(listed).toMatchObject({ ok: true, response: { pagination: { page: 1, limit: 10, total: 1, pages: 1 } } });
    const stats = await client.call('GetTaskStats', {}, headers);
    expect(stats).toMatchObject({ ok: true, response: { userId: 'grpc-alice', total: 1, overdue: 1 } });

    const bob = await bearer('grpc-bob');
    expect(await client.call('GetTask', { taskId: id }, bob)).toMatchObject({ ok: false, code: grpc.status.NOT_FOUND });
    expect(await client.call('ListTasks', {}, bob)).toMatchObject({ ok: true, response: { pagination: { total: 0 } } });
    const admin = await bearer('root', ['admin']);
    expect(await client.call('GetTask', { taskId: id }, admin)).toMatchObject({ ok: true });
  });

  it('refuses missing credentials, a limit over 100 and a bad consistency token', async () => {
    expect(await client.call('ListTasks', {})).toMatchObject({ ok: false, code: grpc.status.UNAUTHENTICATED });
    const headers = await bearer('grpc-carol');
    const tooMany = await client.call('ListTasks', { limit: 101 }, headers);
    expect(tooMany).toMatchObject({
      ok: false,
      code: grpc.status.INVALID_ARGUMENT,
      metadata: { 'tasklog-code': 'REQUEST.VALIDATION' },
    });
    const badToken = await client.call('ListTasks', {}, { ...headers, 'x-consistency-token': 'later' });
    expect(badToken).toMatchObject({ ok: false, code: grpc.status.INVALID_ARGUMENT });
    const noScope = await client.call('ListTasks', {}, await bearer('grpc-carol', ['tasks:write']));
    expect(noScope).toMatchObject({ ok: false, code: grpc.status.PERMISSION_DENIED });
  });
});
