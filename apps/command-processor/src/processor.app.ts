// Starts a command processor: provisions the topics, opens the NestJS
// application context, starts the consumer and a small HTTP endpoint for
// health and metrics. Tests start processors in-process through this too.
import { createServer, type Server } from 'node:http';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import type { Registry } from 'prom-client';
import { topicDefinitions, DLQ_CONSUMERS } from '@tasklog/contracts';
import { createKafka, ensureTopics } from '@tasklog/platform/kafka';
import { createLogger, type Logger } from '@tasklog/platform/observability';
import { CommandProcessorModule, REGISTRY } from './command-processor.module.js';
import { CommandsConsumer } from './commands.consumer.js';
import type { ProcessorConfig } from './processor.config.js';

export interface RunningProcessor {
  readonly app: INestApplicationContext;
  readonly consumer: CommandsConsumer;
  readonly server: Server | null;
  stop(): Promise<void>;
}

export async function provisionTopics(config: ProcessorConfig, logger: Logger): Promise<void> {
  const admin = createKafka(config.kafka, logger).admin();
  await admin.connect();
  try {
    await ensureTopics(
      admin,
      topicDefinitions({
        partitions: config.kafka.partitions,
        replicationFactor: config.kafka.replicationFactor,
        prefix: config.kafka.topicPrefix,
        dlqConsumers: [...DLQ_CONSUMERS, 'command-processor'],
      }),
      logger,
    );
  } finally {
    await admin.disconnect();
  }
}

export async function startProcessor(
  config: ProcessorConfig,
  options: { http?: boolean; logger?: Logger; onFatal?: (error: Error) => void } = {},
): Promise<RunningProcessor> {
  const logger = options.logger ?? createLogger('command-processor', config.logLevel);
  await provisionTopics(config, logger);
  const app = await NestFactory.createApplicationContext(
    CommandProcessorModule.forConfig(config, logger, options.onFatal),
    {
      logger: false,
    },
  );
  // No NestJS signal hooks: main.ts stops the app on SIGTERM/SIGINT itself, then flushes the traces and
  // exits (Nest's hook would end the process with the signal before the flush).
  const consumer = app.get(CommandsConsumer);
  await consumer.start();
  const server = options.http === false ? null : await serveHealth(config, consumer, app.get<Registry>(REGISTRY));
  return {
    app,
    consumer,
    server,
    async stop() {
      server?.close();
      await app.close();
    },
  };
}

function serveHealth(config: ProcessorConfig, consumer: CommandsConsumer, registry: Registry): Promise<Server> {
  const server = createServer((req, res) => {
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (req.url === '/health/live') return json(200, { status: 'ok' });
    if (req.url === '/health/ready') {
      const ready = consumer.isReady();
      return json(ready ? 200 : 503, { status: ready ? 'ok' : 'catching-up', partitions: consumer.ownedPartitions() });
    }
    if (req.url === '/metrics') {
      void registry.metrics().then((text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text));
      return;
    }
    json(404, { status: 404, title: 'Not Found' });
  });
  return new Promise((resolve) => server.listen(config.port, config.host, () => resolve(server)));
}
