// The API process. Tracing starts before anything loads node:http or
// Fastify (the HTTP instrumentation patches them as they load), which is why
// only config and observability are imported statically and the app itself
// dynamically afterwards.
import 'reflect-metadata';
import { createLogger, startTracing, tracingSection } from '@tasklog/platform/observability';

const tracing = await startTracing({ serviceName: 'tasklog-api', ...tracingSection(process.env) });

const { apiConfig } = await import('./api.config.js');
const { createApiApp } = await import('./api.app.js');
const config = apiConfig(process.env);
const logger = createLogger('api', config.http.logLevel);
const app = await createApiApp(config, logger);
app.enableShutdownHooks();
// Closing flushes the spans still buffered; an unreachable collector must not fail the shutdown.
const flushTraces = () =>
  tracing.shutdown().catch((error: unknown) => logger.warn({ err: error }, 'could not flush traces'));
app.getHttpAdapter().getInstance().addHook('onClose', flushTraces);
await app.listen(config.http.port, config.http.host);
logger.info({ url: await app.getUrl(), tracing: tracing.enabled }, 'api listening');
