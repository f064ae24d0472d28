import type { BenchScenario } from '../bench.harness.js';
import { kafkaProducerBench } from './kafka-producer.bench.js';
import { kafkaClientsBench } from './kafka-clients.bench.js';
import { kafkaTransactionsBench } from './kafka-transactions.bench.js';
import { commandProcessorBench } from './command-processor.bench.js';
import { processorHotPathBench } from './processor-hot-path.bench.js';
import { httpCommandsBench } from './http-commands.bench.js';
import { rebuildBench } from './rebuild.bench.js';
import { projectorBench } from './projector.bench.js';
import { queryBench } from './query.bench.js';

/** Every scenario; later capabilities add theirs here. */
export const scenarios: readonly BenchScenario[] = [
  kafkaProducerBench,
  kafkaClientsBench,
  kafkaTransactionsBench,
  commandProcessorBench,
  processorHotPathBench,
  httpCommandsBench,
  projectorBench,
  queryBench,
  rebuildBench,
];
