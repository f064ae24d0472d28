// docs/domain.md must say what the code does: the state-machine table is
// rendered from ALLOWED_TRANSITIONS and the event catalogue from the
// contract's event catalogue.
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TASK_EVENT_CATALOGUE, eventCeType } from '@tasklog/contracts';
import { REJECTION_CODES, TASK_EVENT_TYPES, TASK_STATUSES, canTransition } from '@tasklog/domain';

const doc = readFileSync(join(import.meta.dirname, '..', '..', '..', 'docs', 'domain.md'), 'utf8');

function renderStateMachine(): string {
  const header = `| from \\ to | ${TASK_STATUSES.join(' | ')} |`;
  const rule = `| --- | ${TASK_STATUSES.map(() => '---').join(' | ')} |`;
  const rows = TASK_STATUSES.map(
    (from) =>
      `| ${from} | ${TASK_STATUSES.map((to) => (to === from ? '·' : canTransition(from, to) ? '✓' : '✗')).join(' | ')} |`,
  );
  return [header, rule, ...rows].join('\n');
}

describe('docs/domain.md', () => {
  it('holds the state-machine table of the code', () => {
    const table = /<!-- state-machine:start -->\n([\s\S]*?)\n<!-- state-machine:end -->/.exec(doc)?.[1];
    expect(table).toBe(renderStateMachine());
  });

  it('lists every event with its version, ce_type and public name', () => {
    for (const type of TASK_EVENT_TYPES) {
      const { currentVersion, publicName } = TASK_EVENT_CATALOGUE[type];
      const row = `| \`${type}\` | ${currentVersion} | \`${eventCeType(type)}\` | \`${publicName}\` |`;
      expect(doc).toContain(row);
    }
  });

  it('lists every rejection code', () => {
    for (const code of REJECTION_CODES) expect(doc).toContain(`| \`${code}\` |`);
  });
});
