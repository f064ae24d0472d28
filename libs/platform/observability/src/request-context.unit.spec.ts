import { describe, expect, it } from '@jest/globals';
import { createLogger } from './logger.js';
import { correlationHeaders, currentRequestContext, runWithRequestContext } from './request-context.js';

describe('request context', () => {
  const logger = createLogger('test', 'silent');

  it('carries the request id to Kafka headers as correlation-id, across awaits', async () => {
    const headers = await runWithRequestContext({ requestId: 'req-42', logger }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return correlationHeaders();
    });
    expect(headers['correlation-id']).toBe('req-42');
  });

  it('is absent outside a request', () => {
    expect(currentRequestContext()).toBeUndefined();
    expect(correlationHeaders()).not.toHaveProperty('correlation-id');
  });
});
