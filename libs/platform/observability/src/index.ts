// Logging, metrics and tracing shared by every app: pino JSON logs with
// correlation ids, one prom-client registry per process, OpenTelemetry setup.
export { createLogger, kafkaLogCreator, type Logger } from './logger.js';
