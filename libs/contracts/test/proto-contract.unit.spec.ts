// Runs the schema gate inside the test command: buf lint, buf format,
// buf breaking against the committed baseline and generated code that is up
// to date (scripts/proto.sh check). buf comes from node_modules and needs no
// network.
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..', '..');

describe('proto/tasklog/v1', () => {
  it('passes lint, format, breaking-change and generated-code checks', () => {
    const run = spawnSync('bash', [join(ROOT, 'scripts', 'proto.sh'), 'check'], { cwd: ROOT, encoding: 'utf8' });
    expect({ status: run.status, output: run.status === 0 ? '' : `${run.stdout}\n${run.stderr}` }).toEqual({
      status: 0,
      output: '',
    });
  }, 120_000);
});
