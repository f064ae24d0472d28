// A worker thread of the rebuild's bulk load (ADR 0027): reads and folds its
// share of the partitions with a Kafka client of its own (foldPartitions) and
// posts the write jobs to the thread that writes them. It keeps at most
// `credit` jobs unacknowledged: the writer acknowledges each once stored, so
// a slow database slows this read down instead of filling the memory.
import { parentPort, workerData } from 'node:worker_threads';
import { createKafka } from '@tasklog/platform/kafka';
import { createLogger } from '@tasklog/platform/observability';
import { foldPartitions, type LoadJob } from './partition-fold.js';
import type { FoldWorkerData, FoldWorkerMessage } from './bulk-load.js';

const data = workerData as FoldWorkerData;
const port = parentPort!;
const kafka = createKafka(data.kafka, createLogger('projection-rebuild', data.logLevel));

let outstanding = 0;
// Partitions are read concurrently: several may wait for credit at once.
const waiting: (() => void)[] = [];
port.on('message', () => {
  outstanding--;
  waiting.shift()?.();
});

const post = (message: FoldWorkerMessage) => port.postMessage(message);

async function emit(job: LoadJob): Promise<void> {
  while (outstanding >= data.credit) await new Promise<void>((resolve) => waiting.push(resolve));
  outstanding++;
  post({ type: 'job', job });
}

foldPartitions(kafka, data.partitions, data.fold, emit).then(
  () => post({ type: 'done' }),
  (error: unknown) =>
    post({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
);
