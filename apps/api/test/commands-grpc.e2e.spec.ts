import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { call } from './api.harness.js';
import { commandsFixture, type CommandsFixture } from './commands/commands.fixture.js';
import { grpc, taskCommandsClient, type RpcOutcome } from './commands/grpc.client.js';

// tasklog.v1.TaskCommandsService end to end: the same use cases as REST,
// rejections as gRPC statuses with the problem code in the trailers.
describe('command API (gRPC)', () => {
  let fx: CommandsFixture;
  let client: ReturnType<typeof taskCommandsClient>;
  let alice: Record<string, string>;
  let bob: Record<string, string>;

  beforeAll(async () => {
    fx = await commandsFixture();
    client = taskCommandsClient(fx.grpcPort);
    alice = { authorization: `Bearer ${await fx.token('alice')}` };
    bob = { authorization: `Bearer ${await fx.token('bob')}` };
  }, 90_000);

  afterAll(async () => {
    client?.close();
    await fx?.close();
  }, 60_000);

  const receipt = (outcome: RpcOutcome) => {
    if (!outcome.ok) throw new Error(`call failed: ${outcome.code} ${outcome.details}`);
    return outcome.response.receipt as {
      taskId: string;
      version: number;
      state: string;
      task: Record<string, unknown>;
    } & Record<string, unknown>;
  };
  const expectStatus = (outcome: RpcOutcome, code: grpc.status, problemCode: string) => {
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect({ code: outcome.code, problem: outcome.metadata['tasklog-code'] }).toEqual({ code, problem: problemCode });
  };
  const dueDate = { seconds: String(Math.floor(Date.parse('2026-12-01T17:00:00Z') / 1000)), nanos: 0 };

  it('creates, updates, completes, deletes and restores a task', async () => {
    const created = receipt(
      await client.call('CreateTask', { taskTitle: 'Over gRPC', dueDate, warningOffset: 15, tags: ['rpc'] }, alice),
    );
    expect(created).toMatchObject({ state: 'COMMAND_STATE_ACCEPTED', version: 1, replayed: false });
    expect(created['consistencyToken']).toMatch(/^\d+:\d+$/);
    expect(created.task).toMatchObject({
      taskId: created.taskId,
      userId: 'alice',
      taskTitle: 'Over gRPC',
      taskStatus: 'TASK_STATUS_NOT_STARTED',
      dueDate,
      warningOffset: 15,
      tags: ['rpc'],
    });
    const { taskId } = created;
    const updated = receipt(
      await client.call('UpdateTask', { taskId, taskStatus: 'TASK_STATUS_IN_PROGRESS', clearDueDate: true }, alice),
    );
    expect(updated.task).toMatchObject({ taskStatus: 'TASK_STATUS_IN_PROGRESS', version: 3 });
    expect(updated.task['dueDate']).toBeNull();
    expect(receipt(await client.call('CompleteTask', { taskId }, alice)).task).toMatchObject({
      taskStatus: 'TASK_STATUS_COMPLETED',
    });
    expect(receipt(await client.call('DeleteTask', { taskId }, alice)).version).toBe(5);
    expect(receipt(await client.call('RestoreTask', { taskId }, alice)).version).toBe(6);
  });

  it('maps rejections to gRPC status codes', async () => {
    const { taskId } = receipt(await client.call('CreateTask', { taskTitle: 'Rejections' }, alice));
    const stale = await client.call('UpdateTask', { taskId, taskTitle: 'x', options: { expectedVersion: 7 } }, alice);
    expectStatus(stale, grpc.status.FAILED_PRECONDITION, 'TASK.VERSION_CONFLICT');
    expect(!stale.ok && stale.metadata['tasklog-current-version']).toBe('1');
    expectStatus(await client.call('CompleteTask', { taskId }, bob), grpc.status.NOT_FOUND, 'TASK.NOT_FOUND');
    expectStatus(
      await client.call('DeleteTask', { taskId: '01936f0e-8c3a-7b2e-9f41-3c5d2a1b0e77' }, alice),
      grpc.status.NOT_FOUND,
      'TASK.NOT_FOUND',
    );
    receipt(await client.call('CompleteTask', { taskId }, alice));
    expectStatus(
      await client.call('UpdateTask', { taskId, taskStatus: 'TASK_STATUS_BLOCKED' }, alice),
      grpc.status.FAILED_PRECONDITION,
      'TASK.INVALID_TRANSITION',
    );
    const invalid = await client.call('CreateTask', { taskTitle: '', tags: ['a', 'a'] }, alice);
    expectStatus(invalid, grpc.status.INVALID_ARGUMENT, 'REQUEST.VALIDATION');
    const fields = JSON.parse(!invalid.ok ? invalid.metadata['tasklog-field-errors']! : '[]') as { field: string }[];
    expect(fields.map((f) => f.field).sort()).toEqual(['tags', 'taskTitle']);
    expectStatus(
      await client.call('CreateTask', { taskTitle: 'x', userId: 'bob' }, alice),
      grpc.status.PERMISSION_DENIED,
      'AUTH.FORBIDDEN',
    );
  });

  it('authenticates with a bearer token or an API key and checks the scope', async () => {
    expectStatus(
      await client.call('CreateTask', { taskTitle: 'anonymous' }),
      grpc.status.UNAUTHENTICATED,
      'AUTH.UNAUTHENTICATED',
    );
    expectStatus(
      await client.call('CreateTask', { taskTitle: 'bad token' }, { authorization: 'Bearer nope' }),
      grpc.status.UNAUTHENTICATED,
      'AUTH.UNAUTHENTICATED',
    );
    const reader = { authorization: `Bearer ${await fx.token('carol', ['tasks:read'])}` };
    expectStatus(
      await client.call('CreateTask', { taskTitle: 'read only' }, reader),
      grpc.status.PERMISSION_DENIED,
      'AUTH.FORBIDDEN',
    );
    const adminToken = await fx.token('root', ['admin']);
    const key = await call(fx.api.baseUrl, '/api/v1/admin/api-keys', {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}` },
      body: { userId: 'dave', scopes: ['tasks:write'] },
    });
    const created = receipt(
      await client.call('CreateTask', { taskTitle: 'by key' }, { 'x-api-key': key.json['key'] as string }),
    );
    expect(created.task['userId']).toBe('dave');
  });

  it('answers respond_async with a pending receipt and replays an idempotency key', async () => {
    const pending = receipt(
      await client.call('CreateTask', { taskTitle: 'later', options: { respondAsync: true } }, alice),
    );
    expect(pending).toMatchObject({ state: 'COMMAND_STATE_PENDING', version: 0, task: null });
    const request = { taskTitle: 'once', options: { idempotencyKey: 'grpc-key-1' } };
    const first = receipt(await client.call('CreateTask', request, alice));
    const again = receipt(await client.call('CreateTask', request, alice));
    expect(again).toMatchObject({ taskId: first.taskId, replayed: true, version: 1 });
    expectStatus(
      await client.call('CreateTask', { ...request, taskTitle: 'twice' }, alice),
      grpc.status.INVALID_ARGUMENT,
      'IDEMPOTENCY.KEY_REUSED',
    );
  });
});
