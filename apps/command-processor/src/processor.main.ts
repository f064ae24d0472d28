// The command processor: the single writer of each partition of the event log.
import 'reflect-metadata';
import { exitOnSignals, startTracing, tracingSection } from '@tasklog/platform/observability';
import { processorConfig } from './processor.config.js';
import { startProcessor } from './processor.app.js';

// Spans of the batches it processes, linked to the requests that sent the commands (ADR 0061).
const tracing = await startTracing({ serviceName: 'tasklog-command-processor', ...tracingSection(process.env) });
const config = processorConfig(process.env);
const processor = await startProcessor(config, {
  // The consumer gave up (a non-retriable error): exit, so the supervisor
  // (npm run up, Kubernetes) starts a fresh process that rebuilds its state.
  onFatal: () => process.exit(1),
});
exitOnSignals(() => processor.stop(), tracing);
