import { describe, expect, it } from '@jest/globals';
import kafkajs from 'kafkajs';
import { pino } from 'pino';
import { kafkaLineLevel, kafkaLogCreator } from './logger.js';

const { ERROR, WARN, INFO } = kafkajs.logLevel;

describe('kafkajs log lines', () => {
  it('logs a retriable error answer on the connection at debug, a fatal one at error', () => {
    const notLeader = { error: 'This server is not the leader for that topic-partition', correlationId: 4 };
    expect(kafkaLineLevel('Connection', ERROR, notLeader)).toBe('debug');
    const loading = { error: "The coordinator is loading and hence can't process requests for this group" };
    expect(kafkaLineLevel('Connection', ERROR, loading)).toBe('debug');
    const denied = { error: 'Not authorized to access topics: [Topic authorization failed]' };
    expect(kafkaLineLevel('Connection', ERROR, denied)).toBe('error');
    expect(kafkaLineLevel('Connection', ERROR, {})).toBe('error');
  });

  it('logs an attempt that kafkajs retries as a warning', () => {
    expect(kafkaLineLevel('Producer', ERROR, { retryCount: 0, retryTime: 118 })).toBe('warn');
    expect(kafkaLineLevel('Producer', ERROR, {})).toBe('error');
  });

  it('keeps the other levels as kafkajs gives them', () => {
    expect(kafkaLineLevel('Consumer', WARN, {})).toBe('warn');
    expect(kafkaLineLevel('Consumer', INFO, { retryCount: 1 })).toBe('info');
  });

  it('writes the line at that level, tagged with its namespace', () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const log = kafkaLogCreator(logger)(ERROR);
    const line = (error: string) => ({
      namespace: 'Connection',
      level: ERROR,
      label: 'ERROR',
      log: { timestamp: '', logger: 'kafkajs', message: 'Response Produce(key: 0, version: 7)', error },
    });
    log(line('This server is not the leader for that topic-partition'));
    log(line('Not authorized to access topics: [Topic authorization failed]'));
    expect(lines.map((l) => [l['level'], l['namespace'], l['component']])).toEqual([
      [20, 'Connection', 'kafkajs'],
      [50, 'Connection', 'kafkajs'],
    ]);
  });
});
