import type { BenchScenario } from '../bench.harness.js';
import { kafkaProducerBench } from './kafka-producer.bench.js';

/** Every scenario; later capabilities add theirs here. */
export const scenarios: readonly BenchScenario[] = [kafkaProducerBench];
