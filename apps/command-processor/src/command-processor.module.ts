// Composition of the command processor: the CQRS bus with the decide handler,
// the command consumer and its Kafka client, metrics and configuration.
import { Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { CommandBus, CqrsModule } from '@nestjs/cqrs';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { createKafka } from '@tasklog/platform/kafka';
import { createLogger, type Logger } from '@tasklog/platform/observability';
import { CommandsConsumer } from './commands.consumer.js';
import { DecideTaskHandler } from './decide-task.command.js';
import { type ProcessorConfig } from './processor.config.js';
import { processorMetrics } from './processor.metrics.js';

export const PROCESSOR_CONFIG = Symbol('PROCESSOR_CONFIG');
export const LOGGER = Symbol('LOGGER');
export const REGISTRY = Symbol('REGISTRY');

@Module({})
export class CommandProcessorModule implements OnApplicationShutdown {
  constructor(@Inject(CommandsConsumer) private readonly consumer: CommandsConsumer) {}

  static forConfig(
    config: ProcessorConfig,
    logger: Logger = createLogger('command-processor', config.logLevel),
    onFatal?: (error: Error) => void,
  ) {
    return {
      module: CommandProcessorModule,
      imports: [CqrsModule.forRoot()],
      providers: [
        DecideTaskHandler,
        { provide: PROCESSOR_CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
        {
          provide: REGISTRY,
          useFactory: () => {
            const registry = new Registry();
            collectDefaultMetrics({ register: registry });
            return registry;
          },
        },
        {
          provide: CommandsConsumer,
          inject: [CommandBus, REGISTRY],
          useFactory: (bus: CommandBus, registry: Registry) =>
            new CommandsConsumer(
              createKafka({ ...config.kafka, clientId: `${config.kafka.clientId}-processor` }, logger),
              config,
              bus,
              processorMetrics(registry),
              logger,
              onFatal,
            ),
        },
      ],
      exports: [CommandsConsumer, REGISTRY],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.consumer.stop();
  }
}
