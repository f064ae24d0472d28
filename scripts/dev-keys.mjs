// Development JWT keys: creates an RS256 key pair under .infra/keys/ (git-
// ignored) when there is none, and prints its kid (the RFC 7638 thumbprint of
// the public key, which is also what the API and `tasklog auth token` use).
// Idempotent; only node:crypto and node:fs, so it runs before npm ci too.
// JWT_PRIVATE_KEY_PATH / JWT_PUBLIC_KEY_PATH override the paths (relative to
// the repository root).
import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const privatePath = resolve(root, process.env.JWT_PRIVATE_KEY_PATH || '.infra/keys/jwt-private.pem');
const publicPath = resolve(
  root,
  (process.env.JWT_PUBLIC_KEY_PATH || '.infra/keys/jwt-public.pem').split(',')[0].trim(),
);

function thumbprint(publicPem) {
  const { e, kty, n } = createPublicKey(publicPem).export({ format: 'jwk' });
  // RFC 7638: the required members in lexicographic order, no whitespace.
  return createHash('sha256').update(JSON.stringify({ e, kty, n })).digest('base64url');
}

if (existsSync(privatePath) && existsSync(publicPath)) {
  console.log(`dev-keys: present (kid ${thumbprint(readFileSync(publicPath, 'utf8'))})`);
} else {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  mkdirSync(dirname(privatePath), { recursive: true, mode: 0o700 });
  mkdirSync(dirname(publicPath), { recursive: true, mode: 0o700 });
  writeFileSync(privatePath, privateKey, { mode: 0o600 });
  writeFileSync(publicPath, publicKey, { mode: 0o644 });
  console.log(`dev-keys: created ${privatePath} and ${publicPath} (kid ${thumbprint(publicKey)})`);
}
