// Logging, metrics and tracing shared by every app: pino JSON logs with
// correlation ids, one prom-client registry per process, OpenTelemetry setup.
export { createLogger, kafkaLogCreator, type Logger } from './logger.js';
export { metricsRegistry, counter, histogram } from './metrics.registry.js';
export {
  runWithRequestContext,
  currentRequestContext,
  correlationHeaders,
  type RequestContext,
} from './request-context.js';
export {
  exitOnSignals,
  startTracing,
  tracingSection,
  type Tracing,
  type TracingConfig,
  type TracingOptions,
} from './tracing.js';
export { inBatchSpan, spanContextOf, tracingActive, MAX_LINKS, type BatchSpanOptions } from './batch-span.js';
