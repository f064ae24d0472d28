import { describe, expect, it } from '@jest/globals';
import Fastify from 'fastify';
import { registerSecurityHeaders, securityHeaders } from '../src/security-headers.js';

describe('precomputed security headers', () => {
  it("are helmet's headers with the given CSP, and nothing a plain reply has anyway", async () => {
    const headers = await securityHeaders({ contentSecurityPolicy: { directives: { imgSrc: ["'self'", 'data:'] } } });
    expect(headers['content-security-policy']).toContain("img-src 'self' data:");
    expect(headers['content-security-policy']).toContain("default-src 'self'");
    expect(headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'SAMEORIGIN',
      'strict-transport-security': expect.stringContaining('max-age='),
      'cross-origin-opener-policy': 'same-origin',
      'referrer-policy': 'no-referrer',
    });
    for (const name of ['content-type', 'content-length', 'date', 'connection'])
      expect(headers).not.toHaveProperty(name);
  });

  it('are on every reply, errors and unknown routes included', async () => {
    const app = Fastify();
    registerSecurityHeaders(app, { 'x-content-type-options': 'nosniff', 'x-test': 'yes' });
    app.get('/ok', () => ({ ok: true }));
    app.get('/fail', () => {
      throw new Error('boom');
    });
    try {
      for (const url of ['/ok', '/fail', '/nowhere']) {
        const response = await app.inject({ method: 'GET', url });
        expect(response.headers['x-content-type-options']).toBe('nosniff');
        expect(response.headers['x-test']).toBe('yes');
      }
    } finally {
      await app.close();
    }
  });
});
