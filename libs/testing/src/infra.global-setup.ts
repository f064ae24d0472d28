// Jest global setup of the int and e2e tiers: makes sure the real Kafka,
// PostgreSQL and Redis are up (starting them when they are not) and that the
// test database is migrated. Idempotent and fast when everything already runs.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export default async function globalSetup(): Promise<void> {
  const root = join(import.meta.dirname, '..', '..', '..');
  execFileSync('bash', [join(root, 'scripts', 'infra.sh'), 'up', '--quiet'], { stdio: 'inherit', cwd: root });
}
