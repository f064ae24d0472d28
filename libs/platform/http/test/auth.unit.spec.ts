import { describe, expect, it } from '@jest/globals';
import { assertOwnerOrAdmin, hasScopes, ownerFilter, parseTtl, type Principal } from '../src/index.js';

const alice: Principal = { userId: 'alice', scopes: ['tasks:read'], via: 'jwt' };
const ops: Principal = { userId: 'ops', scopes: ['admin'], via: 'api-key', credentialId: 'k1' };

describe('scopes', () => {
  it('need every listed scope; admin stands for any', () => {
    expect(hasScopes(alice, ['tasks:read'])).toBe(true);
    expect(hasScopes(alice, ['tasks:read', 'tasks:write'])).toBe(false);
    expect(hasScopes(ops, ['tasks:write', 'webhooks:manage'])).toBe(true);
  });
});

describe('ownership', () => {
  it('lets the owner and admin through, and answers 404 to anyone else and for a missing resource', () => {
    expect(() => assertOwnerOrAdmin(alice, 'alice')).not.toThrow();
    expect(() => assertOwnerOrAdmin(ops, 'bob')).not.toThrow();
    for (const owner of ['bob', undefined]) {
      try {
        assertOwnerOrAdmin(alice, owner);
        throw new Error('expected a problem');
      } catch (error) {
        expect(error).toMatchObject({ code: 'TASK.NOT_FOUND' });
        expect((error as { getStatus(): number }).getStatus()).toBe(404);
      }
    }
  });

  it('filters lists to the owner, except for admin', () => {
    expect(ownerFilter(alice)).toBe('alice');
    expect(ownerFilter(ops)).toBeUndefined();
  });
});

describe('token lifetimes', () => {
  it.each([
    ['900', 900],
    ['90s', 90],
    ['15m', 900],
    ['1h', 3600],
    ['7d', 604800],
  ])('parses %s', (text, seconds) => expect(parseTtl(text)).toBe(seconds));

  it('refuses anything else', () => expect(() => parseTtl('1 week')).toThrow(/invalid duration/));
});
