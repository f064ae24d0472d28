import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { expectProblem } from './api.harness.js';
import { commandsFixture, waitFor, type Caller, type CommandsFixture } from './commands/commands.fixture.js';
import { startPrivateBroker, type PrivateBroker } from './commands/private-broker.js';

// Kafka stops answering (its process paused with SIGSTOP): commands get 503
// with Retry-After within the send timeout, never a 2xx for a command that is
// not in the log, and the API serves again after SIGCONT without a restart.
// The broker is this file's own, never the shared one.
describe('command API with the broker paused', () => {
  let broker: PrivateBroker;
  let fx: CommandsFixture;
  let alice: Caller;
  const confirmed: string[] = [];

  beforeAll(async () => {
    broker = await startPrivateBroker();
    fx = await commandsFixture({
      env: { KAFKA_BROKERS: broker.brokers },
      apiEnv: { COMMANDS_SEND_TIMEOUT_MS: '2000', COMMANDS_WAIT_TIMEOUT_MS: '2000' },
    });
    alice = await fx.as('alice');
  }, 180_000);

  afterAll(async () => {
    broker?.resume();
    await fx?.close().catch(() => undefined);
    await broker?.stop();
  }, 120_000);

  const create = async (key: string) => {
    const response = await alice('POST', '/tasks', { body: { taskTitle: key }, headers: { 'idempotency-key': key } });
    if (response.status >= 200 && response.status < 300) confirmed.push(response.headers.get('x-command-id')!);
    return response;
  };

  it('answers 503 within the timeout while paused and serves again after SIGCONT', async () => {
    expect((await create('before-pause')).status).toBe(201);

    broker.pause();
    try {
      const started = Date.now();
      const answers = await Promise.all(['paused-1', 'paused-2', 'paused-3'].map(create));
      expect(Date.now() - started).toBeLessThan(2000 + 1500);
      for (const answer of answers) {
        expectProblem(answer, 503, 'SERVICE.UNAVAILABLE');
        expect(answer.headers.get('retry-after')).toBe('5');
        expect(answer.json['commandId']).toEqual(expect.any(String));
      }
      expectProblem(await create('paused-4'), 503, 'SERVICE.UNAVAILABLE');
    } finally {
      broker.resume();
    }

    // The same key again after the broker is back: one task, however often it was sent.
    const retried = await waitFor(
      async () => {
        const r = await create('paused-1');
        return r.status === 201 ? r : undefined;
      },
      90_000,
      'the API to accept commands again',
    );
    const taskId = retried.json['taskId'] as string;
    const created = (await fx.events()).filter(
      (e) => e.recorded.metadata.taskId === taskId && e.recorded.event.type === 'TaskCreated',
    );
    expect(created).toHaveLength(1);

    const logged = new Set(await fx.commandIds());
    for (const commandId of confirmed) expect(logged).toContain(commandId);
  }, 150_000);
});
