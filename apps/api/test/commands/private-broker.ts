// A Kafka broker of one test file (scripts/infra.sh kafka-up with its own
// folder and ports), so that the test can pause it (SIGSTOP) without
// disturbing the shared broker other test files use.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inheritedEnv } from '../../../../libs/testing/src/infra.js';

const run = promisify(execFile);
const INFRA = join(import.meta.dirname, '..', '..', '..', '..', 'scripts', 'infra.sh');

export interface PrivateBroker {
  readonly brokers: string;
  readonly pid: number;
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

export async function startPrivateBroker(): Promise<PrivateBroker> {
  const dir = await mkdtemp(join(tmpdir(), 'tasklog-kafka-'));
  const env = {
    ...inheritedEnv(),
    TASKLOG_INFRA_DIR: dir,
    KAFKA_PORT: String(await freePort()),
    KAFKA_CONTROLLER_PORT: String(await freePort()),
    KAFKA_HEAP: '-Xms128m -Xmx384m',
  };
  const script = (command: string) => run('bash', [INFRA, command], { env, timeout: 150_000 });
  try {
    await script('kafka-up');
  } catch (error) {
    await script('kafka-down').catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const pid = Number((await readFile(join(dir, 'kafka', 'kafka.pid'), 'utf8')).trim());
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(pid, name);
    } catch {
      // Already gone: nothing to pause or resume.
    }
  };
  return {
    brokers: `127.0.0.1:${env.KAFKA_PORT}`,
    pid,
    pause: () => signal('SIGSTOP'),
    resume: () => signal('SIGCONT'),
    async stop() {
      signal('SIGCONT');
      await script('kafka-down').catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
