// The projector: applies the event log to the PostgreSQL read models,
// exactly once, and keeps the Redis cache honest.
import 'reflect-metadata';
import { exitOnSignals, startTracing, tracingSection } from '@tasklog/platform/observability';
import { projectorConfig } from './projector.config.js';
import { startProjector } from './projector.app.js';

// Spans of the transactions it writes, linked to the requests behind their events (ADR 0061).
const tracing = await startTracing({ serviceName: 'tasklog-projector', ...tracingSection(process.env) });
const config = projectorConfig(process.env);
const projector = await startProjector(config, {
  // The consumer gave up (a non-retriable error): exit, so the supervisor
  // (npm run up, Kubernetes) starts a fresh process, which resumes from the
  // positions stored in PostgreSQL.
  onFatal: () => process.exit(1),
});
exitOnSignals(() => projector.stop(), tracing);
