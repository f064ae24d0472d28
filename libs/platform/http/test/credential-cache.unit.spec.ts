import { describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, exportSPKI, generateKeyPair } from 'jose';
import { CredentialCache, JwtVerifier, TokenRejectedError, authSection } from '../src/index.js';

describe('credential cache', () => {
  it('serves an entry until it expires, then drops it', () => {
    let now = 1000;
    const cache = new CredentialCache<string>(10, () => now);
    cache.set('a', 'A', 2000);
    expect(cache.get('a')).toBe('A');
    now = 2000;
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('is bounded: the least recently used entry makes room', () => {
    const cache = new CredentialCache<string>(2, () => 0);
    cache.set('a', 'A', 10);
    cache.set('b', 'B', 10);
    expect(cache.get('a')).toBe('A'); // b is now the least recently used
    cache.set('c', 'C', 10);
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual(['A', undefined, 'C']);
  });

  it('stores nothing with capacity 0, or already expired', () => {
    const off = new CredentialCache<string>(0, () => 0);
    off.set('a', 'A', 10);
    expect(off.get('a')).toBeUndefined();
    const on = new CredentialCache<string>(5, () => 100);
    on.set('a', 'A', 100);
    expect(on.get('a')).toBeUndefined();
  });

  it('forgets entries by value (a revoked key)', () => {
    const cache = new CredentialCache<{ id: string }>(5, () => 0);
    cache.set('x', { id: 'k1' }, 10);
    cache.set('y', { id: 'k2' }, 10);
    cache.deleteWhere((v) => v.id === 'k1');
    expect([cache.get('x'), cache.get('y')]).toEqual([undefined, { id: 'k2' }]);
  });
});

describe('JWT verification cache', () => {
  it('remembers a verified token until its exp, never a rejected one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'jwt-cache-'));
    try {
      const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
      await writeFile(join(dir, 'public.pem'), await exportSPKI(publicKey));
      let now = Date.now();
      const verifier = await JwtVerifier.create(
        authSection({ JWT_PUBLIC_KEY_PATH: join(dir, 'public.pem') }),
        () => now,
      );
      const exp = Math.floor(now / 1000) + 60;
      const token = await new SignJWT({ scope: 'tasks:read' })
        .setProtectedHeader({ alg: 'RS256' })
        .setSubject('alice')
        .setIssuer('tasklog')
        .setAudience('tasklog-api')
        .setExpirationTime(exp)
        .sign(privateKey);

      const first = await verifier.verify(token);
      expect(first).toMatchObject({ userId: 'alice', scopes: ['tasks:read'], via: 'jwt' });
      expect(verifier.cachedTokens).toBe(1);
      expect(await verifier.verify(token)).toBe(first);

      // A tampered token is a different key: verified (and refused), not served from memory.
      const tampered = token.slice(0, -2) + (token.endsWith('AA') ? 'BB' : 'AA');
      await expect(verifier.verify(tampered)).rejects.toBeInstanceOf(TokenRejectedError);
      expect(verifier.cachedTokens).toBe(1);

      // At exp the cached entry is gone; jose still sees the token as valid (clock tolerance), so it is verified again.
      now = exp * 1000;
      expect(await verifier.verify(token)).not.toBe(first);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
