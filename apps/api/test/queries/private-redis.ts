// A Redis server of the test's own, on a free port, that the test can stop
// and start again (never the shared one): "Redis is down" for real.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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

export async function privateRedis() {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tasklog-redis-'));
  const cli = (...args: string[]) =>
    execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  const ping = () => {
    try {
      return cli('ping') === 'PONG';
    } catch {
      return false;
    }
  };
  const redis = {
    port,
    url: `redis://127.0.0.1:${port}/0`,
    cli,
    async start(): Promise<void> {
      execFileSync('redis-server', [
        '--bind',
        '127.0.0.1',
        '--port',
        String(port),
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        '--daemonize',
        'yes',
        '--pidfile',
        join(dir, 'redis.pid'),
        '--logfile',
        join(dir, 'redis.log'),
      ]);
      const deadline = Date.now() + 10_000;
      while (!ping()) {
        if (Date.now() > deadline) throw new Error('private redis did not start');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    /** Stops the server; its data is gone (no persistence), as after a crash of a cache. */
    async stop(): Promise<void> {
      if (!ping()) return;
      try {
        cli('shutdown', 'nosave');
      } catch {
        // shutdown closes the connection before answering
      }
      while (ping()) await new Promise((resolve) => setTimeout(resolve, 50));
    },
    async remove(): Promise<void> {
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await redis.start();
  return redis;
}
