// The command processor: the single writer of each partition of the event log.
import 'reflect-metadata';
import { processorConfig } from './processor.config.js';
import { startProcessor } from './processor.app.js';

const config = processorConfig(process.env);
const processor = await startProcessor(config);
const stop = () => void processor.stop().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
