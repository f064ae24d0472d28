// The API's commands module (DESIGN.md §4, §5a): REST and gRPC commands on
// tasks, sent to tasklog.task-commands.v1 and answered from
// tasklog.task-command-results.v1; command status and Idempotency-Key
// records in Redis. Wired into ApiModule by api.app.ts.
import { Inject, Injectable, Module, type DynamicModule, type OnApplicationBootstrap } from '@nestjs/common';
import { CommandBus, CqrsModule } from '@nestjs/cqrs';
import { TOPICS, topicDefinitions } from '@tasklog/contracts';
import { ApiKeyStore, JwtVerifier, RateLimitPolicy } from '@tasklog/platform/http';
import { createKafka, ensureTopics } from '@tasklog/platform/kafka';
import type { ApiDeps } from '../api.deps.js';
import { CommandDispatcher } from './command.dispatcher.js';
import { COMMANDS_CONFIG } from './commands.config.js';
import { GrpcAuthenticator } from '../grpc/grpc-auth.js';
import { GrpcCommandsServer } from './grpc/grpc-commands.server.js';
import { CommandStatusHttpController } from './http/command-status.http.controller.js';
import { TaskCommandsHttpController } from './http/task-commands.http.controller.js';
import { CommandResultsListener } from './kafka/command-results.listener.js';
import { CommandProducer } from './kafka/command.producer.js';
import { CommandStatusStore } from './store/command-status.store.js';
import { IdempotencyStore } from './store/idempotency.store.js';
import { CreateTaskHandler } from './use-cases/create-task.command.js';
import { ChangeTaskLifecycleHandler } from './use-cases/task-lifecycle.command.js';
import { UpdateTaskHandler } from './use-cases/update-task.command.js';

/** What the module opens once per API instance (tests read `grpc.port` from it). */
export class CommandsRuntime {
  grpc: GrpcCommandsServer | null = null;

  constructor(
    readonly deps: ApiDeps,
    readonly producer: CommandProducer,
    readonly listener: CommandResultsListener,
  ) {}
}

/**
 * Starts the producer, the results listener (waiting, bounded, until it has
 * joined, so the instance does not serve commands whose results it would
 * miss) and the gRPC server; registers their shutdown with the API's.
 */
@Injectable()
class CommandsLifecycle implements OnApplicationBootstrap {
  constructor(
    @Inject(CommandsRuntime) private readonly runtime: CommandsRuntime,
    private readonly bus: CommandBus,
    private readonly jwt: JwtVerifier,
    private readonly apiKeys: ApiKeyStore,
    private readonly limits: RateLimitPolicy,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { deps, producer, listener } = this.runtime;
    const config = deps.config.commands;
    deps.onShutdown(async () => {
      await this.runtime.grpc?.stop();
      await listener.stop();
      await producer.stop();
    });
    await producer.start();
    await listener.start(config.listenerStartTimeoutMs).catch((error: unknown) => {
      // Commands still work meanwhile; their answers fall back to 202.
      deps.logger.error({ err: String(error) }, 'results listener not ready: commands answer 202 until it is');
    });
    if (!config.grpcEnabled) return;
    const auth = new GrpcAuthenticator(this.jwt, this.apiKeys, this.limits);
    this.runtime.grpc = new GrpcCommandsServer({ bus: this.bus, auth, config, logger: deps.logger });
    await this.runtime.grpc.start();
  }
}

@Module({})
export class CommandsModule {
  static forRoot(deps: ApiDeps): DynamicModule {
    const status = new CommandStatusStore(deps.hotRedis, deps.config.commands.statusTtlSeconds, deps.logger);
    const runtime = createRuntime(deps, status);
    return {
      module: CommandsModule,
      imports: [CqrsModule.forRoot()],
      controllers: [TaskCommandsHttpController, CommandStatusHttpController],
      providers: [
        { provide: COMMANDS_CONFIG, useValue: deps.config.commands },
        { provide: CommandsRuntime, useValue: runtime },
        { provide: CommandStatusStore, useValue: status },
        { provide: CommandDispatcher, useFactory: () => createDispatcher(deps, runtime, status) },
        CommandsLifecycle,
        CreateTaskHandler,
        UpdateTaskHandler,
        ChangeTaskLifecycleHandler,
      ],
    };
  }
}

function topicsOf(deps: ApiDeps) {
  const prefix = deps.config.kafka.topicPrefix;
  return { commands: prefix + TOPICS.commands, results: prefix + TOPICS.commandResults };
}

function createRuntime(deps: ApiDeps, status: CommandStatusStore): CommandsRuntime {
  const { kafka: kafkaConfig, commands: config } = deps.config;
  const topics = topicsOf(deps);
  // A client of its own so that a request times out with the command's send
  // timeout, not the platform's 10 s (ADR 0012).
  const producerKafka = createKafka(
    {
      ...kafkaConfig,
      clientId: `${kafkaConfig.clientId}-commands`,
      requestTimeoutMs: Math.min(kafkaConfig.requestTimeoutMs, config.sendTimeoutMs),
    },
    deps.logger,
  );
  const producer = new CommandProducer(
    producerKafka,
    {
      topic: topics.commands,
      sendTimeoutMs: config.sendTimeoutMs,
      lingerMs: config.lingerMs,
      maxBatchSize: config.maxBatchSize,
    },
    deps.logger.child({ component: 'command-producer' }),
  );
  const listener = new CommandResultsListener(
    deps.kafka,
    {
      topic: topics.results,
      groupId: config.resultsGroupId,
      beforeSubscribe: () => provisionTopics(deps),
      deleteGroupOnStop: config.deleteResultsGroupAtShutdown,
      fetchMaxWaitMs: config.resultsFetchMaxWaitMs,
    },
    status,
    deps.logger.child({ component: 'command-results' }),
  );
  return new CommandsRuntime(deps, producer, listener);
}

function createDispatcher(deps: ApiDeps, runtime: CommandsRuntime, status: CommandStatusStore): CommandDispatcher {
  const config = deps.config.commands;
  return new CommandDispatcher(
    runtime.producer,
    runtime.listener,
    status,
    new IdempotencyStore(deps.hotRedis, config.idempotencyTtlSeconds, deps.logger),
    { ...config, topic: topicsOf(deps).commands },
  );
}

/** The two topics the API uses exist (idempotent; the processor and `tasklog provision` create them too). */
async function provisionTopics(deps: ApiDeps): Promise<void> {
  const { kafka: config } = deps.config;
  const admin = deps.kafka.admin();
  await admin.connect();
  try {
    const specs = topicDefinitions({
      partitions: config.partitions,
      replicationFactor: config.replicationFactor,
      prefix: config.topicPrefix,
      dlqConsumers: [],
    }).filter((t) => t.role === 'commands' || t.role === 'commandResults');
    await ensureTopics(admin, specs);
  } finally {
    await admin.disconnect();
  }
}
