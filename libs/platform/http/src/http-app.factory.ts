import { VersioningType, type DynamicModule, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { FastifyInstance } from 'fastify';
import type { Logger } from '@tasklog/platform/observability';
import type { HttpConfig } from './http.config.js';
import { registerHttpMetrics } from './metrics/http-metrics.hook.js';
import { ProblemDetailsFilter } from './problems/problem-details.filter.js';
import { createValidationPipe } from './problems/validation.pipe.js';
import { NestPinoLogger } from './request/nest-pino.logger.js';
import { registerRequestContext, requestIdOf } from './request/request-context.hook.js';
import { RequestLogController } from './request/request-log.controller.js';
import { registerSecurityHeaders, securityHeaders } from './security-headers.js';

export interface HttpAppOptions {
  readonly config: Pick<HttpConfig, 'bodyLimitBytes' | 'corsOrigins' | 'trustProxy' | 'docsEnabled'>;
  readonly logger: Logger;
  readonly docs: { readonly title: string; readonly description: string; readonly version: string };
}

/** Routes served outside /api/v1: probes and scrapes are not part of the versioned API. */
const UNVERSIONED = ['health/live', 'health/ready', 'metrics'];

const EXPOSED_HEADERS = [
  'X-Request-Id',
  'RateLimit-Limit',
  'RateLimit-Remaining',
  'RateLimit-Reset',
  'RateLimit-Policy',
  'Retry-After',
  'ETag',
  'Location',
  // Command answers (apps/api commands module).
  'X-Consistency-Token',
  'X-Command-Id',
  'Idempotent-Replayed',
  'Preference-Applied',
];

/**
 * Creates (does not start) an HTTP app on the shared edge: Fastify with the
 * body limit, JSON as the only body type, request ids and pino request
 * logging (one line per request), HTTP metrics, helmet's security headers (precomputed) and CORS, the /api/v1 prefix, problem
 * details for every error, strict validation and the OpenAPI 3.1 document at
 * /docs and /docs-json. The root module must import HttpEdgeModule.forRoot().
 */
export async function createHttpApp(
  rootModule: Type<unknown> | DynamicModule,
  options: HttpAppOptions,
): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    loggerInstance: options.logger as never,
    genReqId: requestIdOf,
    logController: new RequestLogController(),
    bodyLimit: options.config.bodyLimitBytes,
    trustProxy: options.config.trustProxy,
  });
  prepareInstance(adapter.getInstance());
  // helmet's headers, computed once (ADR 0031).
  registerSecurityHeaders(
    adapter.getInstance(),
    await securityHeaders({ contentSecurityPolicy: { directives: docsFriendlyCsp } }),
  );
  const app = await NestFactory.create<NestFastifyApplication>(rootModule, adapter, {
    logger: new NestPinoLogger(options.logger),
    bodyParser: false,
    abortOnError: false,
  });
  app.setGlobalPrefix('api', { exclude: UNVERSIONED });
  app.enableVersioning({ type: VersioningType.URI, defaultVersion: '1' });
  app.useGlobalFilters(new ProblemDetailsFilter(options.logger));
  app.useGlobalPipes(createValidationPipe());
  // Without allowed origins CORS is off: no plugin, so no hook on every request.
  if (options.config.corsOrigins.length > 0)
    app.enableCors({ origin: options.config.corsOrigins, exposedHeaders: EXPOSED_HEADERS });
  if (options.config.docsEnabled) serveDocs(app, options.docs);
  return app;
}

// Only JSON bodies: Fastify's text/plain parser would hand handlers a string,
// and anything without a parser is refused with 415.
function prepareInstance(instance: FastifyInstance): void {
  instance.removeContentTypeParser('text/plain');
  registerRequestContext(instance);
  registerHttpMetrics(instance);
}

// The Swagger UI's own page needs inline styles and data: images; nothing else loosens.
const docsFriendlyCsp = {
  defaultSrc: ["'self'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:'],
  scriptSrc: ["'self'"],
  objectSrc: ["'none'"],
  frameAncestors: ["'none'"],
};

function serveDocs(app: NestFastifyApplication, docs: HttpAppOptions['docs']): void {
  const config = new DocumentBuilder()
    .setOpenAPIVersion('3.1.0')
    .setTitle(docs.title)
    .setDescription(docs.description)
    .setVersion(docs.version)
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, 'bearer')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key' }, 'api-key')
    .addSecurityRequirements('bearer')
    .addSecurityRequirements('api-key')
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, config), {
    jsonDocumentUrl: 'docs-json',
    useGlobalPrefix: false,
  });
}
