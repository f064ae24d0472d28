import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REJECTION_CODES } from '@tasklog/domain';
import { PROBLEM_CATALOGUE, problem, problemType } from '../src/index.js';

describe('problem catalogue', () => {
  const doc = readFileSync(join(import.meta.dirname, '..', '..', '..', '..', 'docs', 'errors.md'), 'utf8');
  const rows = new Map(
    [...doc.matchAll(/^\| `([A-Z_.]+)` \| (\d{3}) \| `([a-z-]+)` \|/gm)].map((m) => [
      m[1],
      { status: Number(m[2]), slug: m[3] },
    ]),
  );

  it('is documented in docs/errors.md, code for code, with the same status and type', () => {
    const catalogue = Object.entries(PROBLEM_CATALOGUE).map(([code, e]) => [code, { status: e.status, slug: e.slug }]);
    expect(Object.fromEntries(rows)).toEqual(Object.fromEntries(catalogue));
  });

  it('has a problem for every domain rejection code', () => {
    for (const code of REJECTION_CODES) expect(Object.keys(PROBLEM_CATALOGUE)).toContain(code);
  });

  it('has one type URI per code', () => {
    const types = Object.keys(PROBLEM_CATALOGUE).map((code) => problemType(code as keyof typeof PROBLEM_CATALOGUE));
    expect(new Set(types).size).toBe(types.length);
  });

  it('builds RFC 9457 bodies whose standard members extensions cannot override', () => {
    const body = problem('TASK.VERSION_CONFLICT', 'Expected version 3', { status: 200, currentVersion: 4 }).toBody(
      '/api/v1/tasks/x',
    );
    expect(body).toEqual({
      type: 'https://tasklog.dev/problems/task-version-conflict',
      title: 'Task version does not match',
      status: 412,
      detail: 'Expected version 3',
      instance: '/api/v1/tasks/x',
      code: 'TASK.VERSION_CONFLICT',
      currentVersion: 4,
    });
  });
});
