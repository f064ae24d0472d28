// The query API end to end for one test file: the command fixture (a
// command processor and an API in-process on the real services, random
// topic prefix, 3 partitions) plus a projector writing the API's schema and
// sharing its Redis key prefix, with helpers to write tasks through the
// command API and to wait for the read model.
import { TOPICS } from '@tasklog/contracts';
import { testLogger, testPostgresConfig, uniqueName, inheritedEnv } from '../../../../libs/testing/src/infra.js';
import { projectorConfig } from '../../../projector/src/projector.config.js';
import { startProjector, type RunningProjector } from '../../../projector/src/projector.app.js';
import { QueriesRuntime } from '../../src/queries/queries.module.js';
import { commandsFixture, waitFor, type Caller } from '../commands/commands.fixture.js';

export interface QueriesFixtureOptions {
  /** Redis of both the API and the projector (a server the test can stop). */
  readonly redisUrl?: string;
  readonly apiEnv?: Record<string, string>;
}

export async function queriesFixture(options: QueriesFixtureOptions = {}) {
  const redisKeyPrefix = `${uniqueName('q')}:`;
  const redisUrl = options.redisUrl ?? 'redis://127.0.0.1:6379/0';
  const fx = await commandsFixture({
    apiEnv: { REDIS_KEY_PREFIX: redisKeyPrefix, REDIS_URL: redisUrl, ...options.apiEnv },
  });
  const prefix = fx.topics.events.slice(0, -TOPICS.events.length);
  const projectorEnv = {
    ...inheritedEnv(),
    TASKLOG_TOPIC_PREFIX: prefix,
    TASKLOG_PARTITIONS: '3',
    DATABASE_URL: testPostgresConfig(fx.api.schema).url,
    DATABASE_SCHEMA: fx.api.schema,
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: redisKeyPrefix,
    PROJECTOR_GROUP_ID: `${prefix}projector`,
    PROJECTOR_PORT: '0',
    LOG_LEVEL: 'silent',
  };
  let projector: RunningProjector | null = null;
  const runtime = fx.api.app.get(QueriesRuntime);

  const fixture = {
    ...fx,
    redisKeyPrefix,
    grpcQueriesPort: runtime.grpc?.port ?? 0,
    runtime,
    /** Starts the projector (env: settings over the fixture's, e.g. fault injection). */
    async startProjector(env: Record<string, string> = {}): Promise<void> {
      projector ??= await startProjector(projectorConfig({ ...projectorEnv, ...env }), {
        http: false,
        logger: testLogger,
      });
      await waitFor(async () => (projector!.consumer.isReady() ? true : undefined), 30_000, 'projector ready');
    },
    async stopProjector(): Promise<void> {
      await projector?.stop();
      projector = null;
    },
    /** Creates a task through the command API; resolves with its representation and consistency token. */
    async createTask(caller: Caller, body: Record<string, unknown> = {}) {
      const created = await caller('POST', '/tasks', { body: { taskTitle: 'A task', ...body } });
      if (created.status !== 201) throw new Error(`create failed: ${created.status} ${created.text}`);
      return { task: created.json, token: created.headers.get('x-consistency-token')! };
    },
    /** Waits until a read with the token sees the command (the projector caught up with it). */
    async settled(caller: Caller, token: string): Promise<void> {
      await waitFor(
        async () =>
          (await caller('GET', '/tasks?limit=1', { headers: { 'x-consistency-token': token } })).status === 200
            ? true
            : undefined,
        30_000,
        'the projection to reach the token',
      );
    },
    async close(): Promise<void> {
      await projector?.stop().catch(() => undefined);
      await fx.close();
    },
  };
  return fixture;
}

export type QueriesFixture = Awaited<ReturnType<typeof queriesFixture>>;
export type { Caller };
