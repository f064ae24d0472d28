// The command processor: the single writer of each partition of the event log.
import 'reflect-metadata';
import { processorConfig } from './processor.config.js';
import { startProcessor } from './processor.app.js';

const config = processorConfig(process.env);
const processor = await startProcessor(config, {
  // The consumer gave up (a non-retriable error): exit, so the supervisor
  // (npm run up, Kubernetes) starts a fresh process that rebuilds its state.
  onFatal: () => process.exit(1),
});
const stop = () => void processor.stop().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
